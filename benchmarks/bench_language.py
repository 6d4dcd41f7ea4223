"""Language detectors on short and long mentions: accuracy, English false positives, speed, RSS.

    .venv/bin/python benchmarks/bench_language.py [--data FILE.jsonl] [--only NAME,...] [--rows]

The labelled set (benchmarks/data/languages.jsonl) has one JSON object a line: `text`, `lang`
(ISO 639-1, or "und" for text without a language), `kind` (short, long, tiny, trap, none,
mixed, romanized) and `accept` (other answers that count as right; "und" = abstaining is
right). Every candidate sees the same text: `monitor.language.text.words_only` (no links,
handles, hashtags or emoji). Each candidate runs in its own process, so load time and peak
RSS are its own; a candidate that is not installed is reported and skipped (pip install it).
"brand-monitor" is the shipped wrapper end to end (monitor.language.detect), with its
thresholds and its rules for short text. Prints figures; asserts nothing.

Columns: acc = right answer (lang or accept); short/tiny/long = acc on those kinds;
en-fp = English or language-less texts given another language (the mention would lose its
model label); missed = non-English texts given English or nothing (the English model reads
them); abstain = no answer. Thresholds are swept per candidate: confidence scales differ.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "languages.jsonl"
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
# ISO 639-3 (whatlang) -> 639-1 for the languages of the set
ISO3 = {"eng": "en", "spa": "es", "por": "pt", "fra": "fr", "deu": "de", "ita": "it",
        "nld": "nl", "jpn": "ja", "cmn": "zh", "kor": "ko", "rus": "ru", "arb": "ar",
        "tur": "tr", "pol": "pl", "swe": "sv", "ind": "id", "hin": "hi", "ukr": "uk",
        "dan": "da", "nob": "no", "fin": "fi", "cat": "ca", "ron": "ro", "ces": "cs"}
Detect = Callable[[str], tuple[str | None, float]]


def _lingua(low: bool) -> Detect:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
    detector = (builder.with_low_accuracy_mode() if low else builder).build()

    def detect(text: str) -> tuple[str | None, float]:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return None, 0.0
        return values[0].language.iso_code_639_1.name.lower(), values[0].value
    return detect


def _py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: ident.classify(text)


def _langdetect() -> Detect:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # otherwise it answers differently each run

    def detect(text: str) -> tuple[str | None, float]:
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return None, 0.0
        return best.lang.split("-")[0], best.prob
    return detect


def _cld2() -> Detect:
    import pycld2

    def detect(text: str) -> tuple[str | None, float]:
        reliable, _, details = pycld2.detect(text)
        code, percent = details[0][1], details[0][2]
        if code in ("un", "xxx"):
            return None, 0.0
        # cld2 has no probability: its percent of the text, halved when it calls itself unsure
        return code.split("-")[0], percent / 100 * (1.0 if reliable else 0.5)
    return detect


def _cld3() -> Detect:
    import gcld3

    ident = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

    def detect(text: str) -> tuple[str | None, float]:
        r = ident.FindLanguage(text=text)
        if r.language == "und":
            return None, 0.0
        return r.language.split("-")[0], r.probability
    return detect


def _whatlang() -> Detect:
    import whatlang

    def detect(text: str) -> tuple[str | None, float]:
        try:
            info = whatlang.detect(text)
        except Exception:  # it raises on text without letters
            return None, 0.0
        return ISO3.get(info.lang, info.lang), info.confidence
    return detect


def _ours() -> Detect:
    from monitor.language.detect import LanguageDetector

    detector = LanguageDetector()
    detector.detect("load the model now")  # it loads on first use; count that as loading

    def detect(text: str) -> tuple[str | None, float]:
        found = detector.detect(text)
        return (found.lang, found.confidence) if found else (None, 0.0)
    return detect


# name -> (distribution for the install size, factory)
CANDIDATES: dict[str, tuple[str | None, Callable[[], Detect]]] = {
    "lingua (high accuracy)": ("lingua-language-detector", lambda: _lingua(False)),
    "lingua (low accuracy)": ("lingua-language-detector", lambda: _lingua(True)),
    "py3langid": ("py3langid", _py3langid),
    "langdetect": ("langdetect", _langdetect),
    "pycld2": ("pycld2", _cld2),
    "cld3-py": ("cld3-py", _cld3),
    "whatlang-pyo3": ("whatlang-pyo3", _whatlang),
    "brand-monitor": (None, _ours),
}


def _install_mb(dist: str | None) -> float | None:
    if dist is None:
        return None
    try:
        files = md.distribution(dist).files or []
    except md.PackageNotFoundError:
        return None
    paths = [Path(str(f.locate())) for f in files]
    return round(sum(p.stat().st_size for p in paths if p.exists()) / 1e6, 1)


def run_one(name: str, texts: list[str]) -> dict[str, object]:
    """In a child process: load the candidate, detect every text, time it."""
    from monitor.language.text import words_only

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    try:
        detect = CANDIDATES[name][1]()
    except ImportError as e:
        return {"name": name, "missing": str(e)}
    load_s = time.perf_counter() - began
    prepared = texts if name == "brand-monitor" else [words_only(t) for t in texts]
    preds = [detect(t) if t else (None, 0.0) for t in prepared]
    began = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        for t in prepared:
            if t:
                detect(t)
    per_s = rounds * len(prepared) / (time.perf_counter() - began)
    return {"name": name, "load_s": round(load_s, 2), "texts_per_s": round(per_s),
            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "base_rss_mb": round(base_rss), "preds": preds}


def score(rows: list[dict[str, object]], preds: list[tuple[str | None, float]],
          threshold: float) -> dict[str, float]:
    ok: dict[str, list[bool]] = {}
    fp = fp_n = missed = missed_n = abstain = 0
    for row, (lang, conf) in zip(rows, preds, strict=True):
        got = lang if lang and conf >= threshold else None
        want, accept = str(row["lang"]), list(row.get("accept") or [])  # type: ignore[call-overload]
        right = got == want or (got in accept) or (got is None and "und" in accept)
        for kind in ("all", str(row["kind"])):
            ok.setdefault(kind, []).append(right)
        abstain += got is None
        if want in ("en", "und"):
            fp_n += 1
            fp += got is not None and got != want and got not in accept
        else:
            missed_n += 1
            missed += got in (None, "en")
    out = {k: sum(v) / len(v) for k, v in ok.items()}
    out.update(en_fp=fp / fp_n, missed=missed / missed_n, abstain=abstain / len(rows))
    return out


def _line(name: str, t: float, s: dict[str, float]) -> str:
    return (f"{name:24} {t:5.2f} {s['all']:6.1%} {s['short']:6.1%} {s['tiny']:6.1%} "
            f"{s['long']:6.1%} {s['trap']:6.1%} {s['en_fp']:6.1%} {s['missed']:6.1%} "
            f"{s['abstain']:7.1%}")


def real_data(x_files: list[Path], appstore_files: list[Path]) -> None:
    """The shipped detector on recorded responses: agreement with X's own per-post tags, and
    the languages it finds in App Store reviews (title + text, as the pipeline sees them)."""
    from collections import Counter

    from monitor.language.detect import LanguageDetector, canonical

    detector = LanguageDetector()
    pairs: Counter[tuple[str, str]] = Counter()
    for path in x_files:
        for tweet in json.loads(path.read_text("utf-8")).get("data") or []:
            tag = canonical(tweet.get("lang")) or "und"
            found = detector.detect(str(tweet.get("text") or ""))
            pairs[(tag, found.lang if found else "-")] += 1
    if pairs:
        tagged = {k: v for k, v in pairs.items() if k[0] != "und"}
        n = sum(tagged.values())
        agree = sum(v for (tag, got), v in tagged.items() if tag == got)
        wrong = sum(v for (tag, got), v in tagged.items() if got not in (tag, "-"))
        print(f"X: {sum(pairs.values())} posts, {n} with a language tag: detector agrees on "
              f"{agree} ({agree / max(n, 1):.1%}), abstains on {n - agree - wrong}, "
              f"disagrees on {wrong}")
        for (tag, got), v in sorted(pairs.items(), key=lambda kv: -kv[1]):
            print(f"  X {tag:>4} -> detector {got:>3}: {v}")
    found_langs: Counter[str] = Counter()
    for path in appstore_files:
        entries = json.loads(path.read_text("utf-8")).get("feed", {}).get("entry") or []
        for e in entries if isinstance(entries, list) else [entries]:
            if not isinstance(e, dict) or "im:rating" not in e:
                continue
            text = f"{e.get('title', {}).get('label', '')}\n{e.get('content', {}).get('label', '')}"
            review = detector.detect(text)
            found_langs[review.lang if review else "-"] += 1
    if found_langs:
        print(f"App Store: {sum(found_langs.values())} reviews -> {dict(found_langs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--only", help="comma-separated candidate names")
    parser.add_argument("--rows", action="store_true", help="print each wrong answer")
    parser.add_argument("--x", type=Path, nargs="+", metavar="JSON",
                        help="X API v2 responses: compare the shipped detector with X's tags")
    parser.add_argument("--appstore", type=Path, nargs="+", metavar="JSON",
                        help="App Store customer-reviews JSON: which languages are detected")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.x or args.appstore:
        real_data(args.x or [], args.appstore or [])
        return
    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line]
    texts = [str(r["text"]) for r in rows]
    if args.child:
        print(json.dumps(run_one(args.child, texts)))
        return
    names = args.only.split(",") if args.only else list(CANDIDATES)
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    print(f"{len(rows)} texts in {len({r['lang'] for r in rows}) - 1} languages: {kinds}")
    header = (f"{'candidate':24} {'thr':>5} {'acc':>6} {'short':>6} {'tiny':>6} {'long':>6} "
              f"{'trap':>6} {'en-fp':>6} {'missed':>6} {'abstain':>7}")
    summary = []
    for name in names:
        proc = subprocess.run([sys.executable, __file__, "--data", str(args.data), "--child",
                               name], capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode:
            print(f"{name}: failed\n{proc.stderr[-2000:]}")
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if "missing" in res:
            print(f"{name}: not installed ({res['missing']}); pip install it to compare")
            continue
        preds = [tuple(p) for p in res["preds"]]
        size = _install_mb(CANDIDATES[name][0])
        print(f"\n{name}: load {res['load_s']} s, {res['texts_per_s']} texts/s, peak RSS "
              f"{res['rss_mb']} MB (interpreter + imports before loading: "
              f"{res['base_rss_mb']} MB), installed {size if size is not None else '-'} MB")
        print(header)
        sweep = (0.0,) if name == "brand-monitor" else THRESHOLDS
        scored = [(t, score(rows, preds, t)) for t in sweep]  # type: ignore[arg-type]
        for t, s in scored:
            print(_line(name, t, s))
        # operating point: the most right answers among thresholds with at most 2% en-fp
        fine = [x for x in scored if x[1]["en_fp"] <= 0.02] or \
            [min(scored, key=lambda x: x[1]["en_fp"])]
        summary.append((name, *max(fine, key=lambda x: x[1]["all"]), res, size))
        if args.rows:
            for row, (lang, conf) in zip(rows, preds, strict=True):
                print(f"    {row['lang']:>3} {row['kind']:9} -> {lang or '-':>3} {conf:.2f} "
                      f"{row['text'][:60]!r}")
    print("\nEach candidate at its best threshold with at most 2% English false positives:")
    print(header + f" {'texts/s':>8} {'RSS MB':>7} {'MB':>6}")
    for name, t, s, res, size in summary:
        print(_line(name, t, s) + f" {res['texts_per_s']:8} {res['rss_mb']:7} "
              f"{size if size is not None else '-':>6}")


if __name__ == "__main__":
    main()
