"""The command line's surface: --version, shell completion, help on every option, one --config."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from monitor.cli import app
from monitor.cliopts import CONFIG_HELP
from tests.clirun import REPO, run_cli


def walk(command: Any, path: str = "brand-monitor") -> Iterator[tuple[str, Any]]:
    """Every command under `command` (typer's click groups have `commands`)."""
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from walk(sub, f"{path} {name}")


def test_cli__every_option_and_argument_has_help_and_config_reads_the_same() -> None:
    missing, config_help = [], set()
    for path, command in walk(typer.main.get_command(app)):
        assert command.help or command.short_help, f"{path} has no help"
        for param in command.params:
            text = getattr(param, "help", None)
            if not text:
                missing.append(f"{path} {param.opts[0] if param.opts else param.name}")
            if "--config" in param.opts:
                config_help.add(text)
    assert missing == []
    assert config_help == {CONFIG_HELP}
    assert len([p for p, _ in walk(typer.main.get_command(app))]) > 15


def test_cli__version(tmp_path: Path) -> None:
    res = run_cli("--version", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert re.fullmatch(r"brand-monitor \S+.*\n", res.stdout)


def test_cli__shell_completion_script_and_completions(tmp_path: Path) -> None:
    # Typer detects the calling shell (CI runs under sh); name the shell instead.
    res = run_cli("--show-completion", "bash", cwd=tmp_path,
                  env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert res.returncode == 0, res.stderr
    assert "_BRAND_MONITOR_COMPLETE" in res.stdout  # named after the command, not python
    res = run_cli(cwd=tmp_path, env={"_BRAND_MONITOR_COMPLETE": "complete_bash",
                                     "COMP_WORDS": "brand-monitor rules b", "COMP_CWORD": "2"})
    assert res.stdout.split() == ["backtest"]


def test_rules_cli__check_and_test_take_a_rules_directory(tmp_path: Path) -> None:
    for command, expect in (("check", "3 file(s), 3 brand(s): OK"), ("test", "0 failed")):
        res = run_cli("rules", command, "--rules", str(REPO / "rules"), cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        assert expect in res.stdout
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.yaml").write_text("brands: [{id: acme, query: '(acme'}]\n")
    res = run_cli("rules", "check", "--rules", str(broken), cwd=tmp_path)
    assert res.returncode == 1 and "a.yaml:1:" in res.stdout


def test_readme__every_command_it_shows_exists_with_its_options() -> None:
    import shlex

    root = typer.main.get_command(app)
    shown = 0
    for doc in (REPO / "README.md", REPO / "rules" / "README.md", REPO / "deploy" / "SLACK.md"):
        text = doc.read_text()
        blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
        for line in "\n".join(blocks).splitlines():
            line = line.split("#", 1)[0].strip()
            if "brand-monitor " not in line:
                continue
            words = shlex.split(line[line.index("brand-monitor "):].replace("[", "").replace(
                "]", ""))[1:]
            command: Any = root
            while words and hasattr(command, "commands") and words[0] in command.commands:
                command = command.commands[words.pop(0)]
            assert not hasattr(command, "commands"), f"{doc.name}: {line}"
            options = {o for p in command.params for o in p.opts} | {"--help"}
            for word in words:
                if word.startswith("--"):
                    assert word.split("=")[0] in options, f"{doc.name}: {line}: {word}"
            shown += 1
    assert shown >= 15
