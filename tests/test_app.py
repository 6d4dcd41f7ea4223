"""Building components from settings: which delivery, which sources, and why not the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import build_connectors, build_delivery
from monitor.config import Secrets, load_settings
from monitor.errors import ConfigError
from monitor.slack.delivery import SlackDelivery, TerminalDelivery


def test_build_delivery__terminal_without_token_writes_uploads_under_data_dir(tmp_path: Path
                                                                               ) -> None:
    settings = load_settings(None, environ={}, overrides={"data_dir": str(tmp_path)})
    delivery = build_delivery(settings)
    assert isinstance(delivery, TerminalDelivery)
    assert delivery.files_dir == tmp_path / "uploads"  # digest charts land under data_dir


def test_build_delivery__slack_with_token_uses_the_configured_base_url(
        tmp_path: Path) -> None:
    settings = load_settings(None, environ={}, overrides={
        "data_dir": str(tmp_path), "slack": {"base_url": "http://127.0.0.1:9/api/"}})
    delivery = build_delivery(settings, Secrets({"SLACK_BOT_TOKEN": "xoxb-1"}))
    assert isinstance(delivery, SlackDelivery)
    assert delivery.client.base_url == "http://127.0.0.1:9/api/"


def test_build_connectors__missing_credentials_skip_the_source_with_the_reason(
        tmp_path: Path) -> None:
    settings = load_settings(None, environ={}, overrides={
        "sources": {"x": {"enabled": True}, "sample": {"enabled": True}}})
    enabled, skipped = build_connectors(settings, environ={})
    assert list(enabled) == ["sample"]
    assert "X_BEARER_TOKEN" in skipped["x"]
    assert skipped["reddit"] == "disabled in config"


def test_build_connectors__unknown_source_names_the_key() -> None:
    settings = load_settings(None, environ={}, overrides={"sources": {"tiktok": {"enabled": True}}})
    with pytest.raises(ConfigError) as err:
        build_connectors(settings, environ={})
    assert err.value.key == "sources.tiktok"


def test_build_connectors__bad_option_names_the_key() -> None:
    settings = load_settings(None, environ={}, overrides={
        "sources": {"reddit": {"enabled": True, "subreddits": "notalist"}}})
    with pytest.raises(ConfigError) as err:
        build_connectors(settings, environ={"REDDIT_CLIENT_ID": "a", "REDDIT_CLIENT_SECRET": "b"})
    assert err.value.key is not None and err.value.key.startswith("sources.reddit.subreddits")
