"""Secrets a server echoes back reach no log line, no stored row and no `status` output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.http import error_for_status
from monitor import redact
from monitor.logs import setup_logging
from monitor.store import Store
from tests import factories as f
from tests.fakes.server import FakeServer, Request, Response
from tests.fakes.slack import FakeSlack

REPO = Path(__file__).resolve().parents[1]
SLACK_TOKEN = "xoxb-2291-echoed-3f9c0a6b7e"
X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAX%2Fbearer%3Decho7d41c2"
TP_KEY = "tpkey-echo-5be1d0c94a77"
SECRETS = (SLACK_TOKEN, X_TOKEN, TP_KEY)


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    redact.forget()
    yield
    redact.forget()


def test_redact__masks_secrets_their_url_encoded_forms_and_token_shapes() -> None:
    redact.remember(["s3cret/value=1", "abc", None])  # "abc" is too short to mask safely
    text = ("a s3cret/value=1 b s3cret%2Fvalue%3D1 c xoxp-1234-5678-abcdef "
            "d Bearer AAAAbcdefgh1234567 e bearer rejected")
    assert redact.redact(text) == ("a [redacted] b [redacted] c [redacted] d Bearer [redacted] "
                                   "e bearer rejected")
    assert redact.redact("abc " * 10, limit=9) == "abc abc …"


def test_setup_logging__no_secret_in_any_line_or_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", secrets=[TP_KEY])
    log = logging.getLogger("monitor.test")
    log.warning("trustpilot: HTTP 500 (%s)", f"bad key {TP_KEY}")
    try:
        raise RuntimeError(f"server said: {TP_KEY}")
    except RuntimeError:
        log.exception("poll failed")
    log.error("x" * 5000)
    err = capsys.readouterr().err
    assert TP_KEY not in err
    assert "bad key [redacted]" in err and "server said: [redacted]" in err
    assert "Traceback" in err
    assert max(len(line) for line in err.splitlines()) < 2100  # one long line is cut


def test_error_text__stored_errors_are_redacted_and_cut(tmp_path: Path) -> None:
    redact.remember([TP_KEY])
    store = Store.from_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        store.record_poll("trustpilot", error=f"HTTP 401 ({TP_KEY}) " + "y" * 2000,
                          disabled_reason=f"rejected {TP_KEY}")
        store.save_batch("x", [f.item()], None)
        post, history = store.outbox_rows()
        store.mark_retry(post.id, error=f"slack echoed {TP_KEY}", at=f.NOW, maybe_sent=False)
        store.mark_dead(history.id, error=f"slack echoed {TP_KEY} again", maybe_sent=False)
        (state,) = [s for s in store.source_states() if s.source == "trustpilot"]
        assert state.last_error is not None
        assert state.last_error.startswith("HTTP 401 ([redacted]) yyy")
        assert len(state.last_error) == redact.MAX_STORED
        assert state.disabled_reason == "rejected [redacted]"
        assert [r.last_error for r in store.outbox_rows()] == [
            "slack echoed [redacted]", "slack echoed [redacted] again"]
    finally:
        store.close()
    assert TP_KEY.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite*"))


def test_error_for_status__remote_text_is_one_line_of_at_most_300_characters() -> None:
    err = error_for_status("rss", 500, {}, "line one\nline two " + "z" * 1000)
    assert err is not None
    assert "\n" not in str(err) and len(str(err)) < 340
    assert str(err).startswith("rss: HTTP 500 (line one line two zzz")


def _echo(status: int, what: str, token: str):  # type: ignore[no-untyped-def]
    def handler(_req: Request) -> Response:
        return Response(status, {"ok": False, "error": f"{what} {token}",
                                 "title": "Unauthorized", "detail": f"{what} {token}",
                                 "errors": [{"message": f"{what} {token}"}]},
                        reason=f"{what} {token}")
    return handler


@pytest.mark.slow
def test_daemon__echoed_credentials_reach_no_log_no_row_no_status(
        tmp_path: Path, fake_server: FakeServer) -> None:
    slack = FakeSlack(fake_server)  # every Slack call below answers 500 with the token
    fake_server.route("POST", "/api/*", _echo(500, "bad token", SLACK_TOKEN))
    fake_server.route("GET", "/2/tweets/search/recent", _echo(401, "bearer rejected", X_TOKEN))
    fake_server.route("GET", "/v1/business-units/*", _echo(500, "invalid apikey", TP_KEY))
    cfg = tmp_path / "config.yaml"
    cfg.write_text("\n".join([
        f"data_dir: {tmp_path / 'data'}", f"rules_dir: {REPO / 'rules'}", "log_level: DEBUG",
        "sources:",
        "  sample: {enabled: true, rounds: 1}",  # cases to post: every Slack call echoes
        f"  x: {{enabled: true, base_url: '{fake_server.url}'}}",
        f"  trustpilot: {{enabled: true, base_url: '{fake_server.url}',"
        " business_units: [{id: bu1, brand: parcelly}]}",
        f"slack: {{base_url: '{slack.base_url}'}}",
    ]) + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
           "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "NO_PROXY": "127.0.0.1,localhost", "SLACK_BOT_TOKEN": SLACK_TOKEN,
           "X_BEARER_TOKEN": X_TOKEN, "TRUSTPILOT_API_KEY": TP_KEY}
    run = subprocess.run([sys.executable, "-m", "monitor", "run", "--once", "--config",
                          str(cfg)], capture_output=True, text=True, timeout=300, env=env,
                         cwd=tmp_path)
    # Slack refuses every post, so the run ends saying what it still owes (exit 1)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "not delivered yet" in run.stderr
    status = subprocess.run([sys.executable, "-m", "monitor", "status", "--json", "--config",
                             str(cfg)], capture_output=True, text=True, timeout=120, env=env,
                            cwd=tmp_path)
    served = {r.path.split("/")[1] for r in fake_server.requests}
    assert served == {"api", "2", "v1"}  # Slack, X and Trustpilot each echoed
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.sqlite*"))
    assert b"[redacted]" in stored  # the errors were stored, masked
    for secret in SECRETS:
        assert secret not in run.stderr and secret not in run.stdout
        assert secret not in status.stdout and secret not in status.stderr
        assert secret.encode() not in stored
    assert "[redacted]" in run.stderr and "[redacted]" in status.stdout
