//! Person names: the name people give when they introduce themselves ("nimeni on …", "jag heter
//! …", "my name is …"), sign off ("terveisin …", "mvh …", "regards, …") or speak of their family
//! ("vaimoni …", "min son …", "my husband …"), a given name followed by a surname ("… Matti
//! Meikäläinen …"), and a given name inside a sentence ("does Ahmed need a visa").
//!
//! A statistical model would be slow and English-only; names in a chat come almost always after
//! a handful of cue phrases or capitalised, so cues, capitals and name lists do the work. The
//! lists (`names/first.txt`, `names/last.txt`, built by `scripts/name-lists/build.mjs` from
//! faker's MIT-licensed lists and a hand-compiled one) recognise a lowercase name;
//! `names/never.txt` holds what a capitalised word may be without being a name: countries,
//! places, authorities, months, function words.
//!
//! Speed: every message meets [`may_contain`], one pass over the bytes for a capitalised word
//! after the first and a SIMD search for a few lowercase anchors of the cues; only the quarter of
//! messages that pass are split into words, each looked up once in one table.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use std::cell::Cell;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::kind::Kind;
use super::scan::Finding;

/// What a cue says about the words after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    /// A name follows: "my name is", "nimeni on", "jag heter".
    Intro,
    /// A relative, perhaps named: "vaimoni", "min son", "my husband (is called)".
    Relative,
    /// A sign-off: "terveisin", "mvh", "regards".
    Signature,
    /// A form of address: "Mr", "rouva", "herr".
    Title,
    /// Perhaps a name, perhaps not: "I'm", "olen", "jag är".
    Maybe,
    /// Thanks, then a name only if it ends the message: "kiitos, Matti".
    Thanks,
}

const CUES: &[(Cue, &str)] = &[
    (
        Cue::Intro,
        "my name is|my name's|my full name is|name is|name's|name:|his name is|her name is|\
         i am called|i'm called|people call me|nimeni on|minun nimeni on|mun nimi on|minun nimi on|\
         mun nimeni on|nimi on|nimi:|nimeni:|nimeltäni|olen nimeltäni|nimensä on|nimeltään|\
         jag heter|hon heter|han heter|heter|mitt namn är|namn är|namnet är|namn:|jag kallas|\
         sukunimeni on|etunimeni on|sukunimi on|etunimi on|sukunimi:|etunimi:|efternamn:|förnamn:|\
         mitt efternamn är|mitt förnamn är|my surname is|my first name is|my last name is|\
         my family name is|surname:|first name:|last name:|full name:|signed",
    ),
    (
        Cue::Relative,
        "mieheni|vaimoni|poikani|tyttäreni|lapseni|äitini|isäni|veljeni|siskoni|sisareni|\
         puolisoni|avopuolisoni|avomieheni|avovaimoni|kihlattuni|sulhaseni|morsiameni|\
         tyttöystäväni|poikaystäväni|ystäväni|kaverini|serkkuni|setäni|enoni|tätini|mummoni|\
         isoäitini|isoisäni|appeni|anoppini|työkaverini|kollegani|miehelläni|vaimollani|\
         pojallani|tyttärelläni|lapsellani|mun mies|mun vaimo|mun poika|mun tyttö|mun äiti|\
         mun isä|mun veli|mun sisko|mun kaveri|mun puoliso|mun lapsi|meidän poika|meidän tytär|\
         min man|min make|min fru|min hustru|min maka|min son|min dotter|mitt barn|min mamma|\
         min mor|min pappa|min far|min bror|min syster|min sambo|min partner|min flickvän|\
         min pojkvän|min fästman|min fästmö|min vän|min kompis|min kusin|min farmor|min mormor|\
         min farfar|min morfar|min kollega|vår son|vår dotter|my husband|my wife|my son|\
         my daughter|my child|my kid|my baby|my mother|my mom|my mum|my father|my dad|\
         my brother|my sister|my partner|my spouse|my fiance|my fiancé|my fiancée|\
         my girlfriend|my boyfriend|my friend|my cousin|my uncle|my aunt|my grandmother|\
         my grandfather|my grandma|my grandpa|my nephew|my niece|my colleague|my stepson|\
         my stepdaughter|our son|our daughter|our child|my sons|my daughters|my children|\
         my kids|my parents|our children|our kids|my mother-in-law|my father-in-law|\
         my son-in-law|my daughter-in-law|my brother-in-law|my sister-in-law|my stepfather|\
         my stepmother|my ex-husband|my ex-wife|my twin|vanhempani|lapsemme|poikamme|tyttäremme|\
         vaimolleni|miehelleni|pojalleni|tyttärelleni|lapselleni|äidilleni|isälleni|\
         mina barn|mina söner|mina döttrar|mina föräldrar|våra barn|min svärmor|min svärfar|\
         min svåger|min svägerska|min moster|min faster|min morbror|min farbror|married to|\
         engaged to|gift med|förlovad med|sambo med|naimisissa|kihloissa",
    ),
    (
        Cue::Signature,
        "terveisin|ystävällisin terveisin|parhain terveisin|terv.|terkuin|t.|mvh|\
         med vänlig hälsning|med vänliga hälsningar|vänliga hälsningar|vänlig hälsning|\
         hälsningar|hälsning|regards|best regards|kind regards|warm regards|sincerely|\
         yours sincerely|yours faithfully|yours truly|best wishes|br|brgds|yours|\
         hälsar|hälsningar från|greetings|allekirjoitus:|lähettäjä:|from:",
    ),
    (
        Cue::Title,
        "mr|mr.|mrs|mrs.|ms|ms.|miss|dr|dr.|herra|rouva|neiti|herr|fru|fröken",
    ),
    (
        Cue::Maybe,
        "i'm|i’m|i am|im|olen|oon|mä oon|ma oon|mä olen|minä olen|täällä|jag är|jag e|\
         this is|här är|it's|it is|call me|kutsu minua|det är|tässä|here is",
    ),
    (
        Cue::Thanks,
        "thanks|thank you|many thanks|thx|kiitos|kiitoksia|kiittäen|kiitti|tack|tackar|\
         tack så mycket|cheers|best|all the best",
    ),
];

/// Words between a relative and the name: "my husband is called Ali", "min son heter Reza".
const CONNECTORS: &str = "is called named on nimeltä nimeltään är heter som kallas";

/// Particles inside a name: "Ludwig van Beethoven", "Mohammed bin Salman".
const PARTICLES: &str =
    "van von der den de del della da dos das di du le la al el bin ibn bint abu ben ter ten";

/// Finnish case endings and the Swedish genitive, folded (ä → a), longest first.
const CASE_ENDINGS: &[&str] = &[
    "ineen", "ille", "illa", "ilta", "ista", "issa", "iin", "lle", "lla", "lta", "sta", "ssa",
    "ksi", "na", "ta", "an", "en", "in", "n", "a", "s",
];

/// Surname endings that mark an unlisted lowercase word as a surname: "virtanen",
/// "andersson", "petrov", "kovalenko".
const SURNAME_ENDINGS: &[&str] = &[
    "nen", "sson", "ov", "ova", "ev", "eva", "enko", "chuk", "czyk", "ski", "ska", "sky", "vic",
    "zadeh", "oglu", "yan",
];

// What a word is, as bits of one table entry.
const GIVEN: u16 = 1;
const SURNAME: u16 = 2;
const NEVER: u16 = 4;
const STEM: u16 = 8;
const CONNECTOR: u16 = 16;
const PARTICLE: u16 = 32;
const CUE_START: u16 = 64;
/// "and" between two names.
const CONJUNCTION: u16 = 128;
/// "here" after a name: "Matti täällä".
const HERE: u16 = 256;
/// A verb or "and" that follows a person at the start of a sentence.
const VERB: u16 = 512;

/// Verbs that follow a person's name: "Ahmed needs", "Aino asuu", "Reza bor".
const VERBS: &str = "and ja och is on är has have had was will would needs wants lives works \
    studies got came moved applied received lost married became went left must should can \
    har hade var kan vill ska behöver bor arbetar jobbar studerar fick kom flyttade ansökte \
    blev föddes väntar oli ei tarvitsee haluaa voi sai asuu työskentelee opiskelee tuli muutti \
    haki menetti täyttää täytti meni lähti pääsi syntyi odottaa hakee saapui arrived";
/// Not looked up yet.
const UNKNOWN: u16 = 1 << 15;
/// Whether the word is never a name has been worked out (and is in [`NEVER`]).
const NEVER_KNOWN: u16 = 1 << 14;

/// FxHash (rustc's): the keys are short words, and SipHash's resistance to chosen keys buys
/// nothing for a built-in table.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Table<V> = HashMap<Box<str>, V, BuildHasherDefault<Fx>>;

/// The words and their bits, as 64-bit fingerprints in one flat open-addressing table: a lookup
/// is a hash and a probe or two in contiguous memory, with no pointer to follow and no string
/// to compare (a table of boxed strings made every lookup a cache miss). Two words sharing a
/// fingerprint would share their bits; with 30,000 words in 2^64 values that does not happen.
struct WordTable {
    fingerprints: Vec<u64>,
    bits: Vec<u16>,
    mask: usize,
    len: usize,
}

impl WordTable {
    fn with_capacity(words: usize) -> Self {
        let size = (words * 2).next_power_of_two();
        WordTable {
            fingerprints: vec![0; size],
            bits: vec![0; size],
            mask: size - 1,
            len: 0,
        }
    }

    /// FxHash, then splitmix64's finaliser to spread it; never 0, which marks an empty slot.
    fn fingerprint(key: &str) -> u64 {
        let mut h = Fx::default();
        h.write(key.as_bytes());
        let mut z = h.finish() ^ (key.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) | 1
    }

    fn slot(&self, fingerprint: u64) -> (usize, bool) {
        let mut i = (fingerprint >> 20) as usize & self.mask;
        loop {
            match self.fingerprints[i] {
                0 => return (i, false),
                f if f == fingerprint => return (i, true),
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    fn get(&self, key: &str) -> Option<&u16> {
        match self.slot(Self::fingerprint(key)) {
            (i, true) => Some(&self.bits[i]),
            _ => None,
        }
    }

    fn mark(&mut self, key: &str, bit: u16) {
        let fingerprint = Self::fingerprint(key);
        let (i, found) = self.slot(fingerprint);
        if !found {
            assert!(self.len < self.mask / 2, "the name table is over half full");
            self.fingerprints[i] = fingerprint;
            self.len += 1;
        }
        self.bits[i] |= bit;
    }
}

/// One cue: the words after its first, and a character that must follow it ("t.", "name:").
#[derive(Debug)]
struct CueWords {
    rest: Vec<Box<str>>,
    suffix: Option<char>,
    kind: Cue,
}

struct Lists {
    words: WordTable,
    /// Cues by their first word, longest first.
    cues: Table<Vec<CueWords>>,
    /// The byte lengths of the stems, ascending.
    stem_lengths: Vec<usize>,
    /// The first three letters of the stems, as bits ([`stem_head`]).
    stem_heads: Box<[u64; 512]>,
    /// For the first two letters of the cues' first words, their lengths as bits: most words
    /// are never looked up.
    cue_shapes: Box<[u32; 1024]>,
}

fn entries(src: &str) -> impl Iterator<Item = &str> {
    src.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
}

fn lists() -> &'static Lists {
    static L: OnceLock<Lists> = OnceLock::new();
    L.get_or_init(|| {
        let mut words = WordTable::with_capacity(32_768);
        let mut mark = |w: &str, bit: u16| words.mark(&fold(w), bit);
        entries(include_str!("names/first.txt")).for_each(|w| mark(w, GIVEN));
        entries(include_str!("names/last.txt")).for_each(|w| mark(w, SURNAME));
        let mut stem_lengths = Vec::new();
        let mut stem_heads = Box::new([0u64; 512]);
        for w in entries(include_str!("names/never.txt")) {
            match w.strip_suffix('*') {
                Some(stem) => {
                    // The stem is also a word of its own ("finland", "kela"): one look-up settles it.
                    mark(stem, STEM | NEVER);
                    let folded = fold(stem);
                    stem_lengths.push(folded.len());
                    let head = stem_head(&folded);
                    stem_heads[head / 64] |= 1 << (head % 64);
                }
                None => mark(w, NEVER),
            }
        }
        stem_lengths.sort_unstable();
        stem_lengths.dedup();
        CONNECTORS.split(' ').for_each(|w| mark(w, CONNECTOR));
        PARTICLES.split(' ').for_each(|w| mark(w, PARTICLE));
        "and ja och sekä samt"
            .split(' ')
            .for_each(|w| mark(w, CONJUNCTION));
        "here täällä tässä här speaking"
            .split(' ')
            .for_each(|w| mark(w, HERE));
        VERBS.split_whitespace().for_each(|w| mark(w, VERB));
        let mut cues: Table<Vec<CueWords>> = Table::default();
        let mut cue_shapes = Box::new([0u32; 1024]);
        for (kind, alternatives) in CUES {
            for cue in alternatives.split('|').map(str::trim) {
                let (body, suffix) = match cue.strip_suffix(['.', ':']) {
                    Some(body) => (body, cue.chars().last()),
                    None => (cue, None),
                };
                // Folded as words are, a possessive "'s" dropped ("name's").
                let mut parts = body.split(' ').map(|w| {
                    let mut f = fold(w);
                    if f.len() > 4 && f.ends_with("'s") {
                        f.truncate(f.len() - 2);
                    }
                    f
                });
                let Some(first) = parts.next() else { continue };
                mark(&first, CUE_START);
                let first: Box<str> = first.into();
                let (index, length) = shape(&first);
                cue_shapes[index] |= length;
                // Several-word cues under their first two words, so that "my" does not try
                // the sixty cues that start with it.
                let first: Box<str> = match parts.clone().next() {
                    Some(second) => format!("{first} {second}").into(),
                    None => first,
                };
                cues.entry(first).or_default().push(CueWords {
                    rest: parts.map(Box::from).collect(),
                    suffix,
                    kind: *kind,
                });
            }
        }
        for alternatives in cues.values_mut() {
            alternatives.sort_by_key(|c| std::cmp::Reverse((c.rest.len(), c.suffix.is_some())));
        }
        Lists {
            words,
            cues,
            stem_lengths,
            stem_heads,
            cue_shapes,
        }
    })
}

/// A word's first three bytes, five bits each, as an index into 32,768 bits.
fn stem_head(key: &str) -> usize {
    let b = key.as_bytes();
    let at = |k: usize| usize::from(b.get(k).copied().unwrap_or(0) & 31);
    at(0) << 10 | at(1) << 5 | at(2)
}

/// A word's first two bytes as an index into a 1024-entry table, and its length as a bit.
fn shape(key: &str) -> (usize, u32) {
    let b = key.as_bytes();
    let at = |k: usize| usize::from(b.get(k).copied().unwrap_or(0) & 31);
    (at(0) << 5 | at(1), 1 << key.len().min(31))
}

/// Loads the lists now rather than on the first message.
pub fn warm() {
    let _ = lists();
}

/// Appends the lowercase form of `c` with diacritics removed, as the lists are written:
/// "Yılmaz" → "yilmaz".
#[inline]
fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if let Some(base) = latin1_base(c) {
        out.push_str(base);
        return;
    }
    for c in c.to_lowercase() {
        match c {
            'ı' => out.push('i'),
            'ø' => out.push('o'),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'đ' => out.push('d'),
            'ł' => out.push('l'),
            'ə' => out.push('a'),
            '’' | 'ʼ' | '`' => out.push('\''),
            c => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.push(d)
                }
            }),
        }
    }
}

/// Latin-1 letters (most of the non-ASCII ones in fi/sv/en text) without a table lookup.
fn latin1_base(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ð' | 'Ð' => "d",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'þ' | 'Þ' => "th",
        'ß' => "ss",
        _ => return None,
    })
}

fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    word.chars().for_each(|c| push_folded(c, &mut out));
    out
}

/// A word of the view: letters, with hyphens and apostrophes inside ("Al-Sayed", "O'Brien").
#[derive(Debug)]
struct Token {
    start: usize,
    end: usize,
    /// Its folded form in [`Words::keys`] (or, with [`IN_VIEW`], the word itself), without a
    /// possessive "'s".
    key: (u32, u32),
    /// What the table says about the word, looked up when first asked.
    bits: Cell<u16>,
    /// The first letter is a capital.
    upper: bool,
    /// Every letter is a capital.
    caps: bool,
    /// Only spaces separate it from the word before (no comma, full stop or line break).
    joined: bool,
    letters: u32,
}

/// The words of a text and their folded forms, side by side in one buffer.
struct Words<'a> {
    view: &'a str,
    keys: String,
    toks: Vec<Token>,
}

/// In [`Token::key`], marks a key that is the word itself in the view.
const IN_VIEW: u32 = 1 << 31;

impl Words<'_> {
    fn key(&self, t: &Token) -> &str {
        let (start, end) = t.key;
        if start & IN_VIEW != 0 {
            &self.view[(start & !IN_VIEW) as usize..end as usize]
        } else {
            &self.keys[start as usize..end as usize]
        }
    }
}

// Byte classes for splitting: separators (a space or tab keeps words joined), ASCII letters,
// and bytes that need a character's look (non-ASCII, '-' and '\'' inside words).
const SPACE: u8 = 0;
const OTHER: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 3;
const LOOK: u8 = 4;
const BYTE_CLASS: [u8; 256] = {
    let mut t = [LOOK; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = match c as u8 {
            b' ' | b'\t' => SPACE,
            b'a'..=b'z' => LOWER,
            b'A'..=b'Z' => UPPER,
            b'-' | b'\'' => LOOK,
            _ => OTHER,
        };
        c += 1;
    }
    t
};

thread_local! {
    /// The buffers of the last [`Words`], kept so a message costs no allocation.
    static SPARE: Cell<Option<(String, Vec<Token>)>> = const { Cell::new(None) };
}

impl Drop for Words<'_> {
    fn drop(&mut self) {
        let buffers = (
            std::mem::take(&mut self.keys),
            std::mem::take(&mut self.toks),
        );
        SPARE.with(|s| s.set(Some(buffers)));
    }
}

fn split(view: &str) -> Words<'_> {
    let (mut keys, mut toks) = SPARE.with(Cell::take).unwrap_or_default();
    keys.clear();
    toks.clear();
    let mut w = Words { view, keys, toks };
    let b = view.as_bytes();
    // The character at `i`, read quickly when it is ASCII.
    let at = |i: usize| -> char {
        match b[i] {
            c if c < 0x80 => char::from(c),
            _ => view[i..].chars().next().unwrap_or(' '),
        }
    };
    let letter = |c: char| {
        if c.is_ascii() {
            c.is_ascii_alphabetic()
        } else {
            c.is_alphabetic()
        }
    };
    let mut i = 0;
    let mut gap_clean = false;
    while i < b.len() {
        // ASCII first, a byte at a time from a table; anything else as a character.
        match BYTE_CLASS[usize::from(b[i])] {
            SPACE => {
                i += 1;
                continue;
            }
            OTHER => {
                gap_clean = false;
                i += 1;
                continue;
            }
            LOWER | UPPER => {
                let mut j = i;
                let (mut lower, mut caps) = (true, true);
                while j < b.len() {
                    match BYTE_CLASS[usize::from(b[j])] {
                        LOWER => caps = false,
                        UPPER => lower = false,
                        _ => break,
                    }
                    j += 1;
                }
                if b.get(j)
                    .is_none_or(|&c| BYTE_CLASS[usize::from(c)] <= OTHER)
                {
                    let key_start = w.keys.len();
                    // A lowercase word is its own key; only capitals are copied and lowered.
                    let key = if lower {
                        (i as u32 | IN_VIEW, j as u32)
                    } else {
                        w.keys.push_str(&view[i..j]);
                        w.keys[key_start..].make_ascii_lowercase();
                        (key_start as u32, w.keys.len() as u32)
                    };
                    w.toks.push(Token {
                        start: i,
                        end: j,
                        key,
                        bits: Cell::new(UNKNOWN),
                        upper: BYTE_CLASS[usize::from(b[i])] == UPPER,
                        caps,
                        joined: gap_clean && !w.toks.is_empty(),
                        letters: (j - i) as u32,
                    });
                    gap_clean = true;
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        let c = at(i);
        if !letter(c) {
            gap_clean &= c == ' ' || c == '\t';
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let key_start = w.keys.len();
        push_folded(c, &mut w.keys);
        let (mut letters, mut caps) = (1, c.is_uppercase());
        i += c.len_utf8();
        while i < b.len() {
            let d = at(i);
            let inside = letter(d)
                || (!d.is_ascii() && is_combining_mark(d))
                || (matches!(d, '-' | '\'' | '’')
                    && i + d.len_utf8() < b.len()
                    && letter(at(i + d.len_utf8())));
            if !inside {
                break;
            }
            push_folded(d, &mut w.keys);
            letters += 1;
            caps &= !d.is_lowercase();
            i += d.len_utf8();
        }
        let mut key_end = w.keys.len();
        if w.keys[key_start..].ends_with("'s") && key_end - key_start > 4 {
            key_end -= 2;
        }
        w.toks.push(Token {
            start,
            end: i,
            key: (key_start as u32, key_end as u32),
            bits: Cell::new(UNKNOWN),
            // Scripts without case (Arabic, Persian) are taken as capitalised: a name in them
            // after a cue counts.
            upper: c.is_uppercase() || !(c.is_ascii() || c.is_lowercase()),
            caps,
            joined: gap_clean && !w.toks.is_empty(),
            letters,
        });
        gap_clean = true;
    }
    w
}

impl Lists {
    fn bits(&self, w: &Words, t: &Token) -> u16 {
        let known = t.bits.get();
        if known != UNKNOWN {
            return known;
        }
        let bits = self.words.get(w.key(t)).copied().unwrap_or(0);
        t.bits.set(bits);
        bits
    }

    fn never(&self, w: &Words, t: &Token) -> bool {
        let bits = self.bits(w, t);
        if bits & NEVER_KNOWN != 0 {
            return bits & NEVER != 0;
        }
        let never = self.never_uncached(w, t);
        t.bits
            .set(bits | NEVER_KNOWN | if never { NEVER } else { 0 });
        never
    }

    fn never_uncached(&self, w: &Words, t: &Token) -> bool {
        if self.bits(w, t) & NEVER != 0 {
            return true;
        }
        // An acronym ("EU", "DVV", "TE"), unless it is a name written in capitals ("ALI").
        if t.caps && t.letters <= 4 && !self.is(w, t, GIVEN | SURNAME) {
            return true;
        }
        // An acronym joined to a word: "IT-alan", "ETA-alueelta", "TE-toimisto".
        let text = &w.view[t.start..t.end];
        if let Some((head, _)) = text.split_once('-') {
            if head.chars().count() <= 4 && head.chars().all(char::is_uppercase) {
                return true;
            }
        }
        self.stemmed(w.key(t))
    }

    /// Whether a never-stem covers `key`: "suom" for "Suomen", "Suomessa". Most words share
    /// their first three letters with no stem and are not looked up further.
    fn stemmed(&self, key: &str) -> bool {
        let head = stem_head(key);
        if self.stem_heads[head / 64] & (1 << (head % 64)) == 0 {
            return false;
        }
        self.stem_lengths
            .iter()
            .take_while(|&&n| n <= key.len())
            .filter(|&&n| key.is_char_boundary(n))
            .any(|&n| {
                self.words
                    .get(&key[..n])
                    .is_some_and(|&bits| bits & STEM != 0)
            })
    }

    /// In a list, or a hyphenated name whose first part is ("juha-pekka", "al-sayed").
    fn is(&self, w: &Words, t: &Token, list: u16) -> bool {
        self.bits(w, t) & list != 0
            || w.key(t)
                .split_once('-')
                .is_some_and(|(head, _)| self.words.get(head).is_some_and(|&bits| bits & list != 0))
    }

    /// A given name with a Finnish case ending or a Swedish genitive: "Fatimalle", "Ahmedin",
    /// "Matin" (Matti), "Annas". Only for capitalised words outside cues, which are few.
    fn given_inflected(&self, w: &Words, t: &Token) -> bool {
        if self.is(w, t, GIVEN) {
            return true;
        }
        if !t.upper || t.letters < 5 {
            return false;
        }
        let key = w.key(t);
        let given = |base: &str| {
            base.len() >= 4 && self.words.get(base).is_some_and(|&bits| bits & GIVEN != 0)
        };
        CASE_ENDINGS.iter().any(|e| {
            let Some(base) = key.strip_suffix(e) else {
                return false;
            };
            if given(base) {
                return true;
            }
            // Consonant gradation: Matin → Matti, Jukan → Jukka.
            let b = base.as_bytes();
            let n = b.len();
            if !(3..=30).contains(&n)
                || !b"aeiouy".contains(&b[n - 1])
                || !b"tkp".contains(&b[n - 2])
            {
                return false;
            }
            let mut doubled = [0u8; 32];
            doubled[..n - 1].copy_from_slice(&b[..n - 1]);
            doubled[n - 1] = b[n - 2];
            doubled[n] = b[n - 1];
            std::str::from_utf8(&doubled[..=n]).is_ok_and(given)
        })
    }

    /// A word that may continue a name already begun.
    fn continues(&self, w: &Words, t: &Token) -> bool {
        if self.never(w, t) || (!t.upper && self.bits(w, t) & (VERB | CONNECTOR) != 0) {
            return false;
        }
        if t.upper || self.is(w, t, GIVEN | SURNAME) {
            return true;
        }
        let key = w.key(t);
        t.letters >= 5 && SURNAME_ENDINGS.iter().any(|e| key.ends_with(e))
    }

    /// The end (exclusive token index) of the name that starts at `i`: up to four words joined
    /// by spaces, with particles inside.
    fn extend(&self, w: &Words, i: usize) -> usize {
        let toks = &w.toks;
        let mut j = i + 1;
        while j < toks.len() && j - i < 4 && toks[j].joined {
            let t = &toks[j];
            if !t.upper && self.bits(w, t) & PARTICLE != 0 {
                // "van der Berg": particles, then a capitalised word.
                let mut n = j;
                while n < toks.len()
                    && n - j < 3
                    && toks[n].joined
                    && !toks[n].upper
                    && self.bits(w, &toks[n]) & PARTICLE != 0
                {
                    n += 1;
                }
                if toks
                    .get(n)
                    .is_some_and(|t| t.joined && t.upper && !self.never(w, t))
                {
                    j = n + 1;
                    continue;
                }
            }
            if !self.continues(w, t) {
                break;
            }
            j += 1;
        }
        j
    }

    /// Whether the word at `i`, after a cue of this kind, starts a name.
    fn starts(&self, kind: Cue, w: &Words, i: usize) -> bool {
        let t = &w.toks[i];
        if t.letters < 2 || self.never(w, t) {
            return false;
        }
        // "Poikani haki …": a verb, even one that is also a name somewhere.
        if !t.upper && self.bits(w, t) & (VERB | CONNECTOR) != 0 {
            return false;
        }
        match kind {
            Cue::Intro | Cue::Relative | Cue::Signature | Cue::Title => {
                t.upper || self.is(w, t, GIVEN | SURNAME)
            }
            // "I'm Okonkwo", "olen Aino": a capital after the cue, nationalities and places
            // being on the never-list; in lowercase only a listed given name.
            Cue::Maybe => t.upper || self.is(w, t, GIVEN),
            Cue::Thanks => {
                self.is(w, t, GIVEN)
                    || (t.upper
                        && w.toks
                            .get(i + 1)
                            .is_some_and(|n| n.joined && n.upper && !self.never(w, n)))
            }
        }
    }

    /// The cue that starts at token `i`, if any: it and the index of its last word.
    fn cue_at(&self, w: &Words, i: usize) -> Option<(&CueWords, usize, usize)> {
        let t = &w.toks[i];
        let key = w.key(t);
        let (index, length) = shape(key);
        if self.cue_shapes[index] & length == 0 || self.bits(w, t) & CUE_START == 0 {
            return None;
        }
        // The cues that start with this word and the next, then those of this word alone.
        let mut pair = [0u8; 64];
        let two = w.toks.get(i + 1).filter(|n| n.joined).and_then(|n| {
            let next = w.key(n);
            let len = key.len() + 1 + next.len();
            if len > pair.len() {
                return None;
            }
            pair[..key.len()].copy_from_slice(key.as_bytes());
            pair[key.len()] = b' ';
            pair[key.len() + 1..len].copy_from_slice(next.as_bytes());
            std::str::from_utf8(&pair[..len]).ok()
        });
        let by_two = two.and_then(|k| self.cues.get(k)).into_iter().flatten();
        let by_one = self.cues.get(key).into_iter().flatten();
        by_two.chain(by_one).find_map(|c| {
            let last = i + c.rest.len();
            let fits = c.rest.iter().enumerate().all(|(k, word)| {
                w.toks
                    .get(i + 1 + k)
                    .is_some_and(|n| n.joined && w.key(n) == word.as_ref())
            });
            if !fits {
                return None;
            }
            let mut end = w.toks[last].end;
            if let Some(s) = c.suffix {
                if !w.view[end..].starts_with(s) {
                    return None;
                }
                end += s.len_utf8();
            }
            Some((c, last, end))
        })
    }
}

/// Whether a name may be in `text`: the message is written in lowercase (its first letter is
/// one) and holds a cue, so a name in it may be lowercase too; or a word after the first starts
/// with a capital and goes on in lowercase ("Finland", not "EU" or "I") and is not a never-word;
/// or the first word is a listed given name; or a character could hide a name (invisible or
/// fullwidth). Most messages stop here, after eight bytes at a time. A name written in
/// lowercase in a message that starts with a capital and has no other is not looked for.
pub fn may_contain(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(first) = b.iter().position(|c| c.is_ascii_alphabetic() || *c >= 0xC0) else {
        return false;
    };
    // Written in lowercase: a name in it may be too, after a cue.
    let lowercase =
        b[first].is_ascii_lowercase() || (b[first] == 0xC3 && b.get(first + 1) >= Some(&0xA0));
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let every = |byte: u8| u64::from_le_bytes([byte; 8]);
    let mut i = first + 1;
    while i + 8 <= b.len() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&b[i..i + 8]);
        let word = u64::from_le_bytes(chunk);
        let low = word & LOW7;
        // Per byte, without carries between bytes: an ASCII capital is a byte whose low seven
        // bits reach 'A' and not '['; a lead byte of 0xC2 or more, other than 0xC3, starts a
        // character outside À..ÿ (a soft hyphen, another script); 0xC3 followed by 0x80..0x9F is
        // a capital À..Þ (the last byte's follower is in the next chunk, so it is looked at in
        // any case). Lowercase å, ä, ö cost nothing.
        let ascii = !word & HIGH;
        let capitals =
            low.wrapping_add(every(0x80 - b'A')) & !low.wrapping_add(every(0x80 - b'[')) & ascii;
        // Exactly the zero bytes of v, as their top bits.
        let zero = |v: u64| !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7);
        let c3 = zero(word ^ every(0xC3));
        let far = word & HIGH & low.wrapping_add(every(0x80 - 0x42)) & !c3;
        let latin1 = c3 & (zero(((word >> 8) & every(0xE0)) ^ every(0x80)) | 1 << 63);
        let mut m = capitals | far | latin1;
        while m != 0 {
            let k = i + (m.trailing_zeros() / 8) as usize;
            if look_at(text, k) {
                return true;
            }
            m &= m - 1;
        }
        i += 8;
    }
    (i..b.len()).any(|k| look_at(text, k))
        || (lowercase && has_cue_word(b))
        || (!lowercase && given_first(&b[first..]))
}

/// Whether the message starts with a listed given name in ASCII letters ("Erik har fått
/// avslag", "Olena needs a visa"): its only capital, which the scan above passes over.
fn given_first(b: &[u8]) -> bool {
    let mut buf = [0u8; 24];
    let Some((key, next)) = ascii_word(b, &mut buf) else {
        return false;
    };
    if !(3..=16).contains(&key.len()) || next.is_some_and(|c| c >= 0x80) {
        return false;
    }
    lists()
        .words
        .get(key)
        .is_some_and(|&bits| bits & GIVEN != 0 && bits & NEVER == 0)
}

/// The word of ASCII letters at the start of `b`, lowercased into `buf`, and the byte after it;
/// `None` when there is none or it is longer than `buf`.
fn ascii_word<'k>(b: &[u8], buf: &'k mut [u8; 24]) -> Option<(&'k str, Option<u8>)> {
    let end = b
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(b.len());
    if end == 0 || end > buf.len() {
        return None;
    }
    buf[..end].copy_from_slice(&b[..end]);
    buf[..end].make_ascii_lowercase();
    let key = std::str::from_utf8(&buf[..end]).ok()?;
    Some((key, b.get(end).copied()))
}

/// Whether `b` holds a cue ("nimeni on", "my husband", "mvh"), its words folded (ASCII and
/// Latin-1 letters, apostrophes inside): a cheap split that keeps no words. A single-word cue, or
/// the first two words of a longer one, is enough.
fn has_cue_word(b: &[u8]) -> bool {
    let l = lists();
    let mut key = [0u8; 16];
    let mut len = 0;
    let mut long = false;
    // The word before, when it may start a cue, and room for the two together.
    let mut pair = [0u8; 33];
    let (mut prev_len, mut prev_starts) = (0, false);
    let mut i = 0;
    loop {
        let c = b.get(i).copied().unwrap_or(b' ');
        let letter = if c.is_ascii_alphabetic() {
            Some(c.to_ascii_lowercase())
        } else if c == 0xC3 {
            // À..ÿ: the letter's base, as the lists are folded.
            let ch = b.get(i + 1).map(|&n| char::from(0x40 | (n & 0x3F) | 0x80));
            i += 1;
            ch.and_then(latin1_base).map(|base| base.as_bytes()[0])
        } else if c == b'\'' && len > 0 {
            Some(b'\'')
        } else {
            None
        };
        match letter {
            Some(x) if len < key.len() => {
                key[len] = x;
                len += 1;
            }
            Some(_) => long = true,
            None => {
                let mut starts = false;
                if len > 0 && !long {
                    if let Ok(word) = std::str::from_utf8(&key[..len]) {
                        let (index, length) = shape(word);
                        starts = l.cue_shapes[index] & length != 0
                            && l.words.get(word).is_some_and(|&bits| bits & CUE_START != 0);
                        // A cue of one word, or of two with the word before.
                        if starts && l.cues.contains_key(word) {
                            return true;
                        }
                        if prev_starts && prev_len + 1 + len <= pair.len() {
                            pair[prev_len] = b' ';
                            pair[prev_len + 1..prev_len + 1 + len].copy_from_slice(&key[..len]);
                            let two = std::str::from_utf8(&pair[..prev_len + 1 + len]);
                            if two.is_ok_and(|two| l.cues.contains_key(two)) {
                                return true;
                            }
                        }
                        pair[..len].copy_from_slice(&key[..len]);
                        prev_len = len;
                    }
                }
                prev_starts = starts;
                len = 0;
                long = false;
                if i >= b.len() {
                    return false;
                }
            }
        }
        i += 1;
    }
}

/// Whether the byte at `k` (`k` > 0) starts a capitalised word ("Finland", "Åsa") or a character
/// that could hide a name.
fn look_at(text: &str, k: usize) -> bool {
    let b = text.as_bytes();
    match b[k] {
        c if c.is_ascii_uppercase() => capital_word_at(b, k),
        // Å, Ä, Ö, É… after a space.
        0xC3 => b.get(k + 1).is_some_and(|n| (0x80..0x9F).contains(n)) && b[k - 1] == b' ',
        c if c >= 0xC2 && text.is_char_boundary(k) => {
            let ch = text[k..].chars().next().unwrap_or(' ');
            hides(ch) || (ch.is_uppercase() && b[k - 1] == b' ')
        }
        _ => false,
    }
}

/// A capital at `k` that starts a word and goes on in lowercase, or a word of four or more
/// capitals (a message written in capitals: "NIMENI ON MATTI"), unless the word is one that is
/// never a name ("Finland", "Suomessa", "Migri": the capitals most messages carry).
fn capital_word_at(b: &[u8], k: usize) -> bool {
    let before = b[k - 1];
    let starts_word = !before.is_ascii_alphanumeric() && before < 0x80;
    let next = b.get(k + 1).copied().unwrap_or(0);
    let capitalised = starts_word
        && (next.is_ascii_lowercase()
            || next == 0xC3
            || b[k..]
                .iter()
                .take(4)
                .filter(|c| c.is_ascii_uppercase())
                .count()
                == 4);
    capitalised && !never_word_at(b, k)
}

/// Whether the ASCII word at `k` is on the never-list (judged only for words of ASCII letters
/// that end there: "Kela-kortti" and "Åbo" are left to the finder).
fn never_word_at(b: &[u8], k: usize) -> bool {
    let mut buf = [0u8; 24];
    let Some((key, next)) = ascii_word(&b[k..], &mut buf) else {
        return false;
    };
    if next.is_some_and(|c| c >= 0x80 || c == b'-' || c == b'\'') {
        return false;
    }
    let l = lists();
    l.words.get(key).is_some_and(|&bits| bits & NEVER != 0) || l.stemmed(key)
}

/// Characters the normalized view removes (the invisible ones) or folds (fullwidth letters)
/// and a name could hide behind.
fn hides(c: char) -> bool {
    super::normalize::invisible(c) || ('\u{FF21}'..='\u{FF5A}').contains(&c)
}

/// Adds every person's name in `view`.
pub fn find(view: &str, out: &mut Vec<Finding>) {
    let l = lists();
    let w = split(view);
    let toks = &w.toks;
    let mut push = |start: usize, end: usize| {
        out.push(Finding {
            start,
            end,
            kind: Kind::Name,
        })
    };
    let mut signed_off = false;
    let mut i = 0;
    while i < toks.len() {
        let Some((cue, last, cue_end)) = l.cue_at(&w, i) else {
            i += 1;
            continue;
        };
        signed_off |= matches!(cue.kind, Cue::Thanks | Cue::Signature);
        i = last + 1;
        let mut k = last + 1;
        if k >= toks.len() {
            break;
        }
        let gap = &view[cue_end..toks[k].start];
        if !gap.chars().all(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | ':' | '-' | '–' | '"' | '“' | '”' | '«' | '\'' | '('
                )
        }) {
            continue;
        }
        let mut kind = cue.kind;
        if kind == Cue::Relative {
            // "my husband is called Ali": after a connector only a likely name counts.
            while k < toks.len() && toks[k].joined && l.bits(&w, &toks[k]) & CONNECTOR != 0 {
                k += 1;
            }
            if k >= toks.len() || (k > last + 1 && !toks[k].joined) {
                continue;
            }
            if k > last + 1 {
                kind = Cue::Maybe;
            }
        }
        if !l.starts(kind, &w, k) {
            continue;
        }
        let mut j = l.extend(&w, k);
        let end = toks[j - 1].end;
        if kind == Cue::Thanks && view[end..].chars().any(char::is_alphanumeric) {
            continue;
        }
        push(toks[k].start, end);
        // More names after "and" or a comma: "my sons Ali and Omar", "lapseni Aisha, Omar ja
        // Ali", "Terveisin Matti ja Liisa Virtanen".
        while j < toks.len() {
            let comma = view[toks[j - 1].end..toks[j].start].trim() == ",";
            let and = toks[j].joined && l.bits(&w, &toks[j]) & CONJUNCTION != 0;
            let next = if and { j + 1 } else { j };
            let more = (comma || and)
                && toks.get(next).is_some_and(|n| {
                    (n.joined || comma) && n.upper && l.is(&w, n, GIVEN) && !l.never(&w, n)
                });
            if !more {
                break;
            }
            let e = l.extend(&w, next);
            push(toks[next].start, toks[e - 1].end);
            j = e;
        }
        i = j;
    }
    // A capitalised name before "here": "Matti täällä", "Anna här", "Ali here".
    for (k, t) in toks.iter().enumerate().skip(1) {
        // Only words shaped like one of them are looked up.
        let shaped = matches!(w.key(t).as_bytes().first(), Some(b'h' | b't' | b's'))
            && (4..=8).contains(&t.letters);
        if !t.joined || !toks[k - 1].upper || !shaped || l.bits(&w, t) & HERE == 0 {
            continue;
        }
        let mut s = k;
        while s > 0 && k - s < 3 && toks[s - 1].upper && !l.never(&w, &toks[s - 1]) {
            s -= 1;
            if !toks[s].joined {
                break;
            }
        }
        if s < k && toks[s].letters >= 2 {
            push(toks[s].start, toks[k - 1].end);
        }
    }
    // A name that ends the message after a dash, a slash, a comma or a line break: "Kiitos!
    // – Matti", "Tack /Anna", "Greetings from Oulu, Joonas". After a comma or a line break only
    // a listed given name counts, or any name when the message thanks or signs off.
    if let Some(last) = toks.last().filter(|t| t.upper) {
        let run = (0..toks.len())
            .rev()
            .take(3)
            .take_while(|&s| toks[s].upper && (s + 1 == toks.len() || toks[s + 1].joined));
        let separated = run.into_iter().find_map(|s| {
            let before = view[..toks[s].start].trim_end_matches(' ');
            let by = before.chars().next_back()?;
            matches!(by, '-' | '–' | '—' | '/' | ',' | '\n').then_some((s, by))
        });
        if let Some((s, by)) = separated.filter(|&(s, _)| toks[s].letters >= 2) {
            let signed = matches!(by, '-' | '–' | '—' | '/');
            if !view[last.end..].chars().any(char::is_alphanumeric)
                && (signed || signed_off || l.is(&w, &toks[s], GIVEN))
                && toks[s..].iter().all(|t| !l.never(&w, t))
            {
                push(toks[s].start, last.end);
            }
        }
    }
    // A given name and a capitalised word after it, without a cue: "… Matti Meikäläinen …",
    // "Ludwig van Beethoven"; or a listed surname before a given name: "Warsame Ali", "Wang
    // Wei".
    let mut i = 0;
    while i + 1 < toks.len() {
        let a = &toks[i];
        let surname_first = || {
            l.is(&w, a, SURNAME)
                && toks[i + 1].joined
                && toks[i + 1].upper
                && l.is(&w, &toks[i + 1], GIVEN)
                && !l.never(&w, &toks[i + 1])
        };
        if a.upper && (l.is(&w, a, GIVEN) || surname_first()) && !l.never(&w, a) {
            let j = l.extend(&w, i);
            if toks[i + 1..j].iter().any(|t| t.upper && t.letters >= 2) {
                push(a.start, toks[j - 1].end);
                i = j;
                continue;
            }
        }
        i += 1;
    }
    // A given name starting a sentence, then a verb or "and": "Ahmed needs a visa", "Aino ja
    // minä", "Reza bor i Åbo".
    for (k, t) in toks.iter().enumerate().filter(|(_, t)| t.upper) {
        let starts_sentence =
            k == 0 || view[toks[k - 1].end..t.start].contains(['.', '!', '?', '\n', ':']);
        if starts_sentence
            && toks
                .get(k + 1)
                .is_some_and(|n| n.joined && l.bits(&w, n) & VERB != 0)
            && l.is(&w, t, GIVEN)
            && !l.never(&w, t)
        {
            push(t.start, t.end);
        }
    }
    // An initial and a listed surname: "M. Virtanen", "A. Hassan".
    for (k, t) in toks.iter().enumerate() {
        if t.letters == 1
            && t.upper
            && view[t.end..].starts_with(". ")
            && toks.get(k + 1).is_some_and(|n| {
                n.start == t.end + 2 && n.upper && l.is(&w, n, SURNAME) && !l.never(&w, n)
            })
        {
            push(t.start, toks[k + 1].end);
        }
    }
    // A given name alone inside a sentence: "does Ahmed need a visa". Not the first word of a
    // sentence, where a capital says nothing.
    for (k, t) in toks.iter().enumerate().skip(1) {
        let gap = &view[toks[k - 1].end..t.start];
        if t.upper
            && t.letters >= 3
            && !gap.contains(['.', '!', '?', ':', ';', '\n', '"', '(', '–', '-'])
            && !l.never(&w, t)
            && l.given_inflected(&w, t)
        {
            push(t.start, t.end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(s, &mut out);
        // As the redactor does: the earlier, then the longer, wins.
        out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut last = 0;
        out.iter()
            .filter(|f| {
                let keep = f.start >= last;
                last = last.max(f.end);
                keep
            })
            .map(|f| &s[f.start..f.end])
            .collect()
    }

    #[test]
    fn introductions_signatures_and_relatives() {
        assert_eq!(
            found("My name is Matti Meikäläinen and I live here"),
            ["Matti Meikäläinen"]
        );
        assert_eq!(
            found("Jag heter Anna Svensson, min adress"),
            ["Anna Svensson"]
        );
        assert_eq!(
            found("nimeni on ahmed hassan ja tarvitsen apua"),
            ["ahmed hassan"]
        );
        assert_eq!(found("Terveisin Leila Haddad"), ["Leila Haddad"]);
        assert_eq!(found("Vaimoni Olena Kovalenko sai"), ["Olena Kovalenko"]);
        assert_eq!(found("my husband is called Ali Reza, he"), ["Ali Reza"]);
        assert_eq!(found("Hi, I'm Fatima Al-Sayed."), ["Fatima Al-Sayed"]);
        assert_eq!(found("Kiitos, Matti"), ["Matti"]);
        assert_eq!(found("Ludwig van Beethoven asks"), ["Ludwig van Beethoven"]);
    }

    #[test]
    fn places_authorities_months_and_words_stay() {
        for s in [
            "Olen Suomen kansalainen",
            "I am Finnish and live in Helsinki",
            "Kiitos paljon avusta",
            "Miten Enter Finland toimii?",
            "Business Finland antoi lausunnon",
            "May I apply in June?",
            "Min man är svensk medborgare",
            "My husband is Kela's customer",
            "nimeni on kirjoitettu väärin",
            "Voinko hakea Kelan tukea?",
        ] {
            assert!(found(s).is_empty(), "{s}: {:?}", found(s));
        }
    }

    #[test]
    fn the_gate_lets_plain_questions_pass() {
        assert!(!may_contain("Kuinka kauan käsittely kestää?"));
        assert!(!may_contain("Voiko EU-kansalainen hakea?"));
        // Written in lowercase: a name may be too.
        assert!(may_contain("nimeni on ahmed"));
        assert!(may_contain("NIMENI ON MATTI"));
        assert!(may_contain("Terveisin Matti"));
        assert!(may_contain("asks Åsa Öberg"));
        // A capital Ä as the last byte of an eight-byte chunk, its second byte in the next.
        assert!(may_contain("Hei kuk Äiti"));
        assert!(!may_contain("Hei kuka äiti"));
        assert!(may_contain("M\u{200B}atti"));
        assert!(may_contain("Mat\u{AD}ti soitti"));
    }
}
