"""X's length count (twitter-text v3 port): speed, and agreement with the official JS library.

    .venv/bin/python benchmarks/bench_twitter_text.py [--texts 3000] [--seed 1] [--oracle DIR]

Builds random texts from fragments that stress the rules (links with and without a scheme,
ccTLDs, e-mail addresses, t.co, emoji sequences, CJK, combining marks, invalid characters),
times the Python count, and — with `--oracle DIR`, a folder where `npm install
twitter-text@3.1.0` was run (with twemoji-parser 14.0.0 as in data.json) — runs the official
library on the same texts with node and prints how many weighted lengths, validity flags,
valid ranges and URL spans differ.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from connectors.replies import twitter_text as tt

FRAGMENTS = [
    "parcelly.de/hilfe", "see parcelly.com/track.", "https://t.co/abc123xyz?x=1",
    "http://☃.net/", "www.example.co.uk/path?q=1#frag", "foo.bar", "a.b.c.museum", "пример.рф",
    "help@parcelly.com", "@pat", "#tag", "東京", "日本語example.com中国語", "😷",
    "👨\u200d👩\u200d👧\u200d👦", "🙋🏽", "🏳️\u200d🌈", "❤️", "1️⃣", "🇩🇪", "🫠", "é", "e\u0301",
    "שּׁ", " ", "\n", "\u200b", "\ufeff", ".", ",", "(", ")", "https://example.com/(paren)",
    "HTTPS://ExAmple.COM", "-example.com", "_foo.com", "http://256.1.2.3/",
    "http://user:pw@host.io:8080/a", "xxxxxxxxxx-", "ſ", "K", "İ",
]
ORACLE_JS = """
const tt = require('twitter-text'); const fs = require('fs');
const lines = fs.readFileSync(process.argv[1], 'utf8').split('\\n').filter(Boolean);
fs.writeFileSync(process.argv[2], lines.map(l => { const t = JSON.parse(l);
  const p = tt.parseTweet(t);
  return JSON.stringify([p.weightedLength, p.valid, p.validRangeEnd,
    tt.extractUrlsWithIndices(t).map(e => e.indices)]); }).join('\\n') + '\\n');
"""


def texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) + rng.choice(["", " ", " ", "/", "?"])
                    for _ in range(rng.randint(1, 12))) for _ in range(count)]


def ours(text: str) -> list[object]:
    parsed = tt.parse_tweet(text)
    spans = [[s, e] for _, s, e in tt._url_entities(tt._units(text))]
    return [parsed.weighted_length, parsed.valid, parsed.valid_range_end, spans]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oracle", type=Path, default=None)
    args = parser.parse_args()
    corpus = texts(args.texts, args.seed)
    tt.weighted_length("warm up")
    start = time.perf_counter()
    results = [ours(t) for t in corpus]
    took = time.perf_counter() - start
    chars = sum(len(t) for t in corpus)
    print(f"{len(corpus)} texts, {chars / len(corpus):.0f} chars on average: "
          f"{took / len(corpus) * 1e6:.0f} µs per text ({len(corpus) / took:.0f} texts/s)")
    if args.oracle is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        given, answered = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        given.write_text("".join(json.dumps(t) + "\n" for t in corpus), encoding="utf-8")
        subprocess.run(["node", "-e", ORACLE_JS, str(given), str(answered)],
                       cwd=args.oracle, check=True)
        official = [json.loads(line) for line in answered.read_text().splitlines()]
    differ = [(t, o, r) for t, o, r in zip(corpus, official, results, strict=True) if o != r]
    print(f"official twitter-text: {len(corpus) - len(differ)}/{len(corpus)} texts agree "
          "(weighted length, validity, valid range, URL spans)")
    for text, official_result, result in differ[:5]:
        print(f"  differs: {text!r}: official {official_result}, ours {result}")


if __name__ == "__main__":
    main()
