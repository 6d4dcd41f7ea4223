"""`brand-monitor slack …`: serve the buttons over HTTP, and check a workspace's setup."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from monitor.cliopts import ConfigOpt
from monitor.errors import MonitorError
from monitor.slack import copy

if TYPE_CHECKING:
    from monitor.config import Secrets

logger = logging.getLogger(__name__)

app = typer.Typer(help="The Slack app: HTTP mode for the buttons, and a setup check.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _require(secrets: Secrets, *names: str) -> list[str]:
    values = [secrets.get(n) for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        _fail(copy.CHECK["need_env"].format(names=" and ".join(missing)))
    return [str(v) for v in values]


@app.command()
def serve(
    config: ConfigOpt = None,
    port: Annotated[int | None, typer.Option(help="Port (default: slack.http_port).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
) -> None:
    """HTTP mode: answer Slack's button clicks at /slack/events (signatures verified)."""
    from monitor.config import Secrets, load_settings
    from monitor.logs import setup_logging
    from monitor.replies.publishing import build_publishing
    from monitor.slack.app import build_bolt_app
    from monitor.slack.http import EVENTS_PATH, make_app_server
    from monitor.store import Store

    secrets = Secrets.from_environ()
    signing_secret, token = _require(secrets, "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
    try:
        settings = load_settings(config)
        setup_logging(settings.log_level)
        store = Store.from_settings(settings)
        # the platforms' limits and which accounts are set up; the daemon posts the replies
        publishing = build_publishing(settings, environ=secrets)
        bolt = build_bolt_app(store=store, settings=settings, token=token,
                              signing_secret=signing_secret, publishing=publishing)
    except MonitorError as e:
        _fail(str(e))
    except Exception as e:  # bolt's auth.test failure (bad token, Slack unreachable)
        _fail(f"cannot start the Slack app: {e}")
    server = make_app_server(bolt, host=host,
                             port=settings.slack.http_port if port is None else port)
    typer.echo(copy.CHECK["serving"].format(host=host, port=server.server_port,
                                            path=EVENTS_PATH))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        publishing.close()
        store.close()


@app.command()
def check(config: ConfigOpt = None) -> None:
    """Check the token, scopes, channels and on-call group; exit 1 if something blocks posting."""
    from slack_sdk import WebClient

    from monitor.config import Secrets, load_settings
    from monitor.slack.check import run_check

    secrets = Secrets.from_environ()
    (token,) = _require(secrets, "SLACK_BOT_TOKEN")
    try:
        settings = load_settings(config)
    except MonitorError as e:
        _fail(str(e))
    client = WebClient(token=token, base_url=settings.slack.base_url,
                       timeout=int(settings.slack.timeout))
    findings = run_check(client, settings, app_token=secrets.get("SLACK_APP_TOKEN"),
                         signing_secret=secrets.get("SLACK_SIGNING_SECRET"))
    for f in findings:
        typer.echo(f"{'ok  ' if f.ok else 'FAIL'} {f.text}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)
