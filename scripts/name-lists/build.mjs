// Builds src/redact/names/{first,last}.txt: given names and surnames, lowercase and folded
// (diacritics removed), for the redactor's name finder. Sources: the person-name lists of
// @faker-js/faker (MIT; see src/redact/names/LICENSE-faker), Cyrillic ones transliterated, and
// the hand-compiled extra.txt. Words the knowledge base uses in lowercase (ordinary words in
// fi, sv or en, such as "anna" or "bo") are left out, so they are never taken for names.
//
// Run from the repository root: node scripts/name-lists/build.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VERSION = '10.6.0';
const dir = mkdtempSync(join(tmpdir(), 'faker-'));
execFileSync('npm', ['pack', `@faker-js/faker@${VERSION}`, '--silent'], { cwd: dir });
execFileSync('tar', ['xzf', `faker-js-faker-${VERSION}.tgz`], { cwd: dir });
const faker = await import(join(dir, 'package/dist/index.js'));

// Locales written in Latin script, and the Cyrillic ones transliterated below.
const LATIN = ['fi', 'sv', 'en', 'en_NG', 'en_IN', 'en_GH', 'tr', 'de', 'fr', 'es', 'it', 'pl',
  'nb_NO', 'da', 'nl', 'pt_BR', 'ro', 'hu', 'cs_CZ', 'sk', 'hr', 'sr_RS_latin', 'lv',
  'ku_kmr_latin', 'uz_UZ_latin', 'id_ID', 'yo_NG', 'zu_ZA', 'az', 'vi'];
const CYRILLIC = ['ru', 'uk'];

const flat = (v) => (Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v).flat() : []);

function fold(s) {
  return s
    .toLowerCase()
    .replace(/ı/g, 'i').replace(/ø/g, 'o').replace(/æ/g, 'ae').replace(/ß/g, 'ss')
    .replace(/đ/g, 'd').replace(/ł/g, 'l').replace(/ə/g, 'a').replace(/[ʼ’`]/g, "'")
    .normalize('NFD').replace(/\p{M}/gu, '');
}

// Transliterations of Russian and Ukrainian names as they are written in Finland, Sweden and
// English-speaking countries: each name gives a few spellings (Дмитрий: dmitriy, dmitrij, dmitri).
const BASE = { а: 'a', б: 'b', в: 'v', д: 'd', е: 'e', ё: 'jo', є: 'je', ж: 'zh', з: 'z', і: 'i',
  ї: 'ji', й: 'j', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't',
  у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e',
  ю: 'ju', я: 'ja', ґ: 'g' };
function translit(name, lang) {
  const lower = name.toLowerCase();
  const out = new Set();
  for (const scheme of ['j', 'y', 'plain']) {
    let s = '';
    for (const [i, ch] of [...lower].entries()) {
      let t = BASE[ch] ?? ch;
      if (ch === 'г') t = lang === 'uk' ? 'h' : 'g';
      if (ch === 'и') t = lang === 'uk' ? 'y' : 'i';
      if (ch === 'х' && scheme === 'y') t = 'kh';
      if (scheme !== 'j' && 'йёєїюя'.includes(ch)) t = t.replace('j', 'y');
      if (ch === 'ж' && scheme === 'j') t = 'z';
      s += t;
      void i;
    }
    if (scheme === 'plain') s = s.replace(/(i|y)[jy]$/, 'i');
    out.add(s);
  }
  return [...out];
}

const first = new Set();
const last = new Set();
const add = (set, name) => {
  for (const part of fold(name).split(/[\s]+/)) {
    if (/^[a-z][a-z'-]*[a-z]$/.test(part)) set.add(part);
  }
};
for (const l of LATIN) {
  const p = faker[l]?.person;
  if (!p) throw new Error(`faker has no locale ${l}`);
  flat(p.first_name).forEach((n) => add(first, n));
  flat(p.last_name).forEach((n) => add(last, n));
}
for (const l of CYRILLIC) {
  const p = faker[l].person;
  flat(p.first_name).forEach((n) => translit(n, l).forEach((t) => add(first, t)));
  flat(p.last_name).forEach((n) => translit(n, l).forEach((t) => add(last, t)));
}
let target = first;
for (const line of readFileSync('scripts/name-lists/extra.txt', 'utf8').split('\n')) {
  if (line.startsWith('# first:')) { target = first; continue; }
  if (line.startsWith('# last:')) { target = last; continue; }
  if (line.startsWith('#') || !line.trim()) continue;
  line.trim().split(/\s+/).forEach((n) => add(target, n));
}

// Ordinary words: every word the knowledge base writes in lowercase somewhere.
const common = new Set();
for (const f of readdirSync('knowledge/topics')) {
  const text = readFileSync(join('knowledge/topics', f), 'utf8');
  for (const m of text.matchAll(/[\p{L}'-]+/gu)) {
    const w = m[0];
    if (w[0] === w[0].toLowerCase() && w[0] !== w[0].toUpperCase()) common.add(fold(w));
  }
}

const write = (file, set, what) => {
  const kept = [...set].filter((n) => !common.has(n) && n.length >= 2).sort();
  const header = `# ${what}: lowercase, diacritics removed. Built by scripts/name-lists/build.mjs from @faker-js/faker ${VERSION} (MIT, see LICENSE-faker) and scripts/name-lists/extra.txt; do not edit by hand.\n`;
  writeFileSync(file, header + kept.join('\n') + '\n');
  console.log(`${file}: ${kept.length} names (${set.size - kept.length} left out as ordinary words)`);
};
write('src/redact/names/first.txt', first, 'Given names');
write('src/redact/names/last.txt', last, 'Surnames');
