"""Config: YAML + BRAND_MONITOR_* environment, validated with messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Secrets, load_settings
from monitor.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text)
    return p


def test_load_settings__defaults_without_a_file(tmp_path: Path) -> None:
    s = load_settings(None, environ={})
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("brand-monitor.sqlite")
    assert s.classifier.model == "builtin"


def test_load_settings__environment_overrides_file_with_nested_keys(tmp_path: Path) -> None:
    p = write(tmp_path, "slack:\n  default_channel: '#from-file'\nsources:\n  x:\n"
                        "    enabled: true\n    interval: 60\n")
    env = {"BRAND_MONITOR_SLACK__DEFAULT_CHANNEL": "#from-env",
           "BRAND_MONITOR_SOURCES__X__INTERVAL": "30",
           "BRAND_MONITOR_DATABASE_URL": "postgresql://db/bm"}
    s = load_settings(p, environ=env)
    assert s.slack.default_channel == "#from-env"
    assert s.sources["x"]["interval"] == 30 and s.enabled_sources() == ["x"]
    assert s.db_url == "postgresql://db/bm"


def test_load_settings__arguments_override_environment(tmp_path: Path) -> None:
    s = load_settings(None, environ={"BRAND_MONITOR_LOG_LEVEL": "debug"},
                      overrides={"log_level": "warning"})
    assert s.log_level == "WARNING"


def test_load_settings__config_path_from_environment(tmp_path: Path) -> None:
    p = write(tmp_path, "log_level: error\n")
    assert load_settings(None, environ={"BRAND_MONITOR_CONFIG": str(p)}).log_level == "ERROR"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("outbox:\n  batch_size: zero\n", "outbox.batch_size", "integer"),
        ("slak:\n  base_url: x\n", "slak", "unknown key"),
        ("sources:\n  x:\n    interval: -5\n", "sources.x.interval", "greater than 0"),
        ("classifier:\n  uncertain_below: 3\n", "classifier.uncertain_below", "less than"),
    ],
)
def test_load_settings__invalid_value_names_the_key(tmp_path: Path, text: str, key: str,
                                                    words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert err.value.key == key
    msg = str(err.value)
    assert key in msg and words in msg and "\n" not in msg


def test_load_settings__secret_in_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment only") as err:
        load_settings(write(tmp_path, "slack:\n  bot_token: xoxb-1\n"), environ={})
    assert err.value.key == "slack.bot_token"
    assert "xoxb-1" not in str(err.value)


def test_load_settings__broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "slack:\n  default_channel: [unclosed\nlog_level: x\n")
    with pytest.raises(ConfigError) as err:
        load_settings(p, environ={})
    assert str(p) in str(err.value) and "line" in str(err.value)


def test_load_settings__missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_load_settings__relative_rules_dir_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    p = tmp_path / "conf" / "c.yaml"
    p.write_text("rules_dir: myrules\n")
    assert load_settings(p, environ={}).rules_dir == tmp_path / "conf" / "myrules"


def test_secrets__reads_only_known_names_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert Secrets.from_environ().get("SLACK_BOT_TOKEN") == "xoxb-test"
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    assert Secrets.from_environ().get("SLACK_BOT_TOKEN") is None
    with pytest.raises(KeyError):
        Secrets.from_environ().get("HOME")
    assert "xoxb" not in repr(Secrets({"SLACK_BOT_TOKEN": "xoxb-test"}))


def test_load_settings__bad_environment_variable_is_named_not_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, "outbox:\n  batch_size: 10\n")
    with pytest.raises(ConfigError) as err:
        load_settings(p, environ={"BRAND_MONITOR_OUTBOX__BATCH_SIZE": "lots"})
    msg = str(err.value)
    assert msg.startswith("environment variable BRAND_MONITOR_OUTBOX__BATCH_SIZE: "
                          "outbox.batch_size: ")
    assert str(p) not in msg and "\n" not in msg
    with pytest.raises(ConfigError) as err:  # an unknown key inside a known section
        load_settings(p, environ={"BRAND_MONITOR_SLACK__BASEURL": "http://x"})
    assert str(err.value) == ("environment variable BRAND_MONITOR_SLACK__BASEURL: "
                              "slack.baseurl: unknown key")
    with pytest.raises(ConfigError) as err:  # the file's own mistakes still name the file
        load_settings(write(tmp_path, "outbox:\n  batch_size: lots\n"), environ={})
    assert str(err.value).startswith(f"{p}: outbox.batch_size: ")


def test_load_settings__variables_that_are_not_settings_are_ignored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"BRAND_MONITOR_TEST_PG_URL": "postgresql://postgres@127.0.0.1/postgres",
           "BRAND_MONITOR_SOMETHING_ELSE": "1", "BRAND_MONITOR_LOG_LEVEL": "debug"}
    assert load_settings(None, environ=env).log_level == "DEBUG"
    assert "BRAND_MONITOR_SOMETHING_ELSE" in caplog.text  # a likely typo is pointed out
    assert "TEST_PG_URL" not in caplog.text  # the test suite's own variable is no typo


def test_load_settings__secret_as_a_variable_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment only") as err:
        load_settings(None, environ={"BRAND_MONITOR_SLACK__BOT_TOKEN": "xoxb-9"})
    assert str(err.value).startswith("environment variable BRAND_MONITOR_SLACK__BOT_TOKEN: "
                                     "slack.bot_token: ")
    assert "xoxb-9" not in str(err.value)


def test_load_settings__every_path_in_the_file_is_relative_to_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    p = tmp_path / "site" / "config.yaml"
    p.write_text("data_dir: data\nknowledge_dir: kb\nclassifier:\n  artifact: model\n"
                 "sources:\n  sample:\n    path: samples.yaml\n")
    s = load_settings(p, environ={})
    site = tmp_path / "site"
    assert (s.data_dir, s.kb_dir, s.classifier.artifact) == (site / "data", site / "kb",
                                                             site / "model")
    assert s.sources["sample"]["path"] == str(site / "samples.yaml")
    assert s.rules_dir == site / "rules"  # the default: `rules` next to the file
    assert s.db_url == f"sqlite:///{site / 'data' / 'brand-monitor.sqlite'}"
    home = load_settings(write(tmp_path, "data_dir: ~/bm\n"), environ={})
    assert home.data_dir == Path.home() / "bm"


def test_load_settings__paths_from_variables_and_arguments_are_relative_to_the_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "site" / "config.yaml"
    p.write_text("data_dir: data\n")
    s = load_settings(p, environ={"BRAND_MONITOR_DATA_DIR": "state",
                                  "BRAND_MONITOR_RULES_DIR": "myrules"},
                      overrides={"knowledge_dir": "kb"})
    assert (s.data_dir, s.rules_dir, s.kb_dir) == (tmp_path / "state", tmp_path / "myrules",
                                                   tmp_path / "kb")


def test_cli__test_database_variable_breaks_no_command(tmp_path: Path) -> None:
    from tests.clirun import REPO, run_cli

    cfg = write(tmp_path, f"data_dir: {tmp_path / 'data'}\nrules_dir: {REPO / 'rules'}\n")
    env = {"BRAND_MONITOR_TEST_PG_URL": "postgresql://postgres@127.0.0.1:55432/postgres"}
    res = run_cli("rules", "check", "--config", str(cfg), cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    assert "test_pg_url" not in res.stderr
    res = run_cli("rules", "check", "--config", str(cfg), cwd=tmp_path,
                  env={**env, "BRAND_MONITOR_OUTBOX__BATCH_SIZE": "lots"})
    assert res.returncode == 2
    (line,) = res.stderr.splitlines()
    assert line.startswith("environment variable BRAND_MONITOR_OUTBOX__BATCH_SIZE: "
                           "outbox.batch_size: ")
