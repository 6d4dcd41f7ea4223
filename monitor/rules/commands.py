"""`brand-monitor rules ...`: check, test, match and backtest rules files (a typer sub-app).

The rules engine is imported inside each command, so the CLI's --help stays fast."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from monitor.cliopts import ConfigOpt
from monitor.errors import MonitorError, RulesInvalid
from monitor.models import Mention
from monitor.rules import messages as msg

if TYPE_CHECKING:
    from monitor.readmodels import CaseView
    from monitor.rules.backtest import BacktestReport, Change
    from monitor.rules.ruleset import Explanation, RuleSet

app = typer.Typer(
    help="Check, test and explain rules files.", no_args_is_help=True,
    pretty_exceptions_enable=False, add_completion=False,
)

RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", "-r", help="Rules directory or file (default: rules_dir setting)."),
]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Rules files or directories (default: the rules_dir setting)."),
]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _default_dir(config: Path | None) -> Path:
    from monitor.config import load_settings

    try:
        return load_settings(config).rules_dir
    except MonitorError as e:
        _fail(str(e), 2)


def _paths(paths: list[Path] | None, rules: Path | None, config: Path | None) -> list[Path]:
    """What to read: the paths given, then --rules, then the config's rules_dir."""
    chosen = [*(paths or []), *([rules] if rules else [])]
    return chosen or [_default_dir(config)]


def _load(rules: Path | None, config: Path | None) -> RuleSet:
    from monitor.rules.loader import load_rules

    try:
        return load_rules(rules or _default_dir(config))
    except RulesInvalid as e:
        for err in e.errors:
            typer.echo(str(err), err=True)
        _fail(msg.CHECK_FAILED.format(n=len(e.errors)))


@app.command()
def check(paths: PathsArg = None, rules: RulesOpt = None, config: ConfigOpt = None) -> None:
    """Validate rules files; print each error as file:line:col: message."""
    from monitor.rules.loader import check_rules

    ruleset, errors = check_rules(_paths(paths, rules, config))
    if errors or ruleset is None:
        for err in errors:
            typer.echo(str(err))
        _fail(msg.CHECK_FAILED.format(n=len(errors)))
    typer.echo(msg.CHECK_OK.format(files=len(ruleset.files), brands=len(ruleset)))


@app.command()
def test(paths: PathsArg = None, rules: RulesOpt = None, config: ConfigOpt = None) -> None:
    """Run the must_match / must_not_match examples of every brand."""
    from monitor.rules.examples import run_examples
    from monitor.rules.loader import check_rules

    ruleset, errors = check_rules(_paths(paths, rules, config))
    if errors or ruleset is None:
        for err in errors:
            typer.echo(str(err))
        _fail(msg.CHECK_FAILED.format(n=len(errors)))
    results = run_examples(ruleset)
    if not results:
        typer.echo(msg.TEST_NONE)
        return
    for r in results:
        status = msg.TEST_PASS if r.passed else msg.TEST_FAIL
        kind = "must_match" if r.example.must_match else "must_not_match"
        text = r.example.text.replace("\n", " ")
        text = text if len(text) <= 70 else text[:69] + "…"
        typer.echo(f"{status} {r.example.file}:{r.example.line}: {r.brand} {kind}: {text!r}")
        if not r.passed:
            typer.echo(f"     {r.detail}")
    failed = sum(not r.passed for r in results)
    typer.echo(msg.TEST_SUMMARY.format(passed=len(results) - failed, failed=failed))
    if failed:
        raise typer.Exit(1)


def explanation_json(found: Explanation, text: str, *, lang: str | None = None,
                     lang_confidence: float | None = None) -> dict[str, Any]:
    """What `rules match --json` prints (a stable shape: tests and scripts rely on it).
    `lang` is the mention's language as matched; `lang_confidence` the detector's, when it
    was detected rather than given."""
    m = found.match
    out: dict[str, Any] = {
        "matched": m is not None,
        "lang": lang,
        "lang_detected": lang_confidence is not None,
        "lang_confidence": lang_confidence,
        "brand": m.brand if m else None,
        "rule": m.rule if m else None,
        "terms": list(m.terms) if m else [],
        "spans": [{"term": s.term, "start": s.start, "end": s.end, "text": text[s.start:s.end]}
                  for s in m.spans] if m else [],
        "priority": str(m.priority) if m else None,
        "priority_reasons": list(m.priority_reasons) if m else [],
        "label_override": m.label_override.value if m and m.label_override else None,
        "override_rule": found.override,
        "channels": dict(m.channels) if m else {},
        "reason": found.reason,
        "excluded": [{"brand": e.brand, "why": e.category, "detail": e.detail}
                     for e in found.excluded],
    }
    return out


@app.command()
def match(
    text: Annotated[str, typer.Option("--text", "-t", help="The text to explain.")],
    rules: RulesOpt = None,
    config: ConfigOpt = None,
    source: Annotated[str, typer.Option(
        help="Source of the mention: x, reddit, appstore, googleplay, trustpilot, rss.")] = "x",
    author: Annotated[str, typer.Option(help="Author handle.")] = "someone",
    title: Annotated[str | None, typer.Option(help="Title (posts, reviews).")] = None,
    followers: Annotated[int | None, typer.Option(help="Author's follower count.")] = None,
    rating: Annotated[int | None, typer.Option(help="Review stars.")] = None,
    lang: Annotated[str | None, typer.Option(
        help="Language code (default: detected from the text, as the daemon does).")] = None,
    subreddit: Annotated[str | None, typer.Option(help="Subreddit.")] = None,
    brand: Annotated[str | None, typer.Option(help="Brand set by a review source.")] = None,
    retweet: Annotated[bool, typer.Option("--retweet", help="The post is a retweet.")] = False,
    quote: Annotated[bool, typer.Option("--quote", help="The post is a quote post.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Explain which brand and rule match a text, with matched terms, or why none does.
    Exits 0 with an answer either way; non-zero only when the rules or config are broken."""
    from monitor.models import Author

    ruleset = _load(rules, config)
    mention = Mention(
        source=source, external_id="cli", text=text, title=title,
        created_at=datetime.now(UTC), author=Author(handle=author.lstrip("@"), followers=followers),
        lang=lang, rating=rating, brand=brand, is_retweet=retweet, is_quote=quote,
        extra={"subreddit": subreddit} if subreddit else {},
    )
    if lang is None:  # what the daemon would find; a language given is taken as it is
        from monitor.language.tagging import LanguageTagger

        mention = LanguageTagger().tag(mention)
    from monitor.language.tagging import DETECTED

    confidence = mention.extra.get(DETECTED)
    found = ruleset.explain(mention)
    if as_json:
        typer.echo(json.dumps(explanation_json(found, mention.full_text, lang=mention.lang,
                                               lang_confidence=confidence),
                              ensure_ascii=False))
    else:
        _print_language(mention.lang, confidence)
        _print_explanation(found, mention.full_text)
    # "no match" is an answer, not an error: exit 0 either way (errors exit non-zero)


def _print_language(lang: str | None, confidence: float | None) -> None:
    from monitor.language.names import language_name

    if lang is None:
        typer.echo(msg.MATCH_LANG_NONE)
    elif confidence is None:
        typer.echo(msg.MATCH_LANG_GIVEN.format(name=language_name(lang), code=lang))
    else:
        typer.echo(msg.MATCH_LANG_DETECTED.format(name=language_name(lang), code=lang,
                                                  confidence=confidence))


def _print_explanation(found: Explanation, text: str) -> None:
    m = found.match
    if m is None:
        typer.echo(msg.MATCH_NONE.format(reason=found.reason))
        for e in found.excluded:
            typer.echo(msg.MATCH_EXCLUDED_BY.format(brand=e.brand, detail=e.detail))
        return
    typer.echo(f"brand: {m.brand}\nrule: {m.rule}")
    for s in m.spans:
        typer.echo(f"  term {s.term}: {text[s.start:s.end]!r} at {s.start}-{s.end}")
    typer.echo(f"priority: {m.priority}")
    for reason in m.priority_reasons:
        typer.echo(f"  {reason}")
    if m.label_override:
        typer.echo(f"label override: {m.label_override.value} (rule {found.override})")
    for label, channel in m.channels.items():
        typer.echo(f"  {label} -> {channel}")


@app.command(name="backtest")
def backtest_command(
    since: Annotated[str, typer.Option(help="How far back: 30m, 12h, 7d, 2w.")] = "7d",
    rules: RulesOpt = None,
    config: ConfigOpt = None,
    examples: Annotated[int, typer.Option(help="Examples shown per kind of change.")] = 5,
) -> None:
    """Replay stored mentions through the rules on disk and show what would change: brand,
    rule, priority, the label a rule forces, and the Slack channel."""
    from monitor.config import load_settings
    from monitor.periods import parse_period
    from monitor.progress import Counter
    from monitor.rules.backtest import backtest, router

    try:
        window = parse_period(since)
    except ValueError:
        _fail(msg.BAD_SINCE.format(value=since), 2)
    try:
        settings = load_settings(config)
    except MonitorError as e:
        _fail(str(e), 2)
    ruleset = _load(rules or settings.rules_dir, None)
    from monitor.store import Store

    try:
        store = Store.from_settings(settings)
        try:
            views = [v for v in store.cases()
                     if v.mention.mention.created_at >= datetime.now(UTC) - window]
        finally:
            store.close()
        with Counter(msg.BACKTEST_PROGRESS, len(views)) as progress:
            report = backtest((Replayed.of(v) for v in views), ruleset, examples=examples,
                              route=router(settings.slack), advance=progress.advance)
    except MonitorError as e:
        _fail(str(e), 2)
    _print_report(report, since)


@dataclass(frozen=True, slots=True)
class Replayed:
    """A stored mention with what was decided for it then: brand, rule, priority, label and
    the classifier's scores (from the mention), the Slack channel (from its case)."""

    mention: Mention
    brand: str | None
    rule: str | None
    label: str
    priority: int
    scores: Mapping[str, float]
    channel: str | None

    @classmethod
    def of(cls, view: CaseView) -> Replayed:
        m = view.mention
        return cls(m.mention, m.brand, m.rule, m.label, m.priority, m.scores, view.case.channel)


def _describe(c: Change) -> str:
    if c.kind in ("change_priority", "change_label", "change_channel"):
        return f"{c.old_brand}: {c.before or '-'} -> {c.after or '-'}"
    was = f"{c.old_brand}/{c.old_rule}" if c.old_brand else "-"
    now = f"{c.new_brand}/{c.new_rule}" if c.new_brand else (c.reason or "-")
    return f"{was} -> {now}"


def _print_report(report: BacktestReport, since: str) -> None:
    from monitor.rules.backtest import KINDS

    typer.echo(f"{report.total} stored mention(s) in the last {since}: "
               f"{report.unchanged} unchanged, {report.changed} would change")
    for kind in KINDS:
        n = report.counts.get(kind, 0)
        if not n:
            continue
        typer.echo(f"{kind.replace('_', ' ')}: {n}")
        for c in report.examples.get(kind, []):
            text = c.mention.full_text.replace("\n", " ")[:80]
            typer.echo(f"  [{c.mention.source}:{c.mention.external_id}] {_describe(c)}: "
                       f"{text!r}")
