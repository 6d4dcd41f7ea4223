"""The language settings: what the classifier reads, what happens to the rest, where it goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.language.stage import LanguageStage
from monitor.slack.check import routed_channels


def test_load_settings__languages_default_to_english_and_question() -> None:
    s = load_settings(None, environ={})
    assert (s.classifier.languages, s.classifier.unsupported_language) == (["en"], "question")
    assert s.slack.channels_by_language == {}
    stage = LanguageStage.from_settings(s)
    assert stage.policy.languages == {"en"} and stage.policy.unsupported == "question"


def test_load_settings__a_hub_model_declares_its_languages(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("classifier:\n  kind: zero-shot\n"
                   "  model: MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7\n"
                   "  languages: [EN, de, JA]\n  unsupported_language: other\n"
                   "slack:\n  channels_by_language: {JA: '#care-japan'}\n")
    s = load_settings(cfg, environ={})
    assert s.classifier.languages == ["en", "de", "ja"]
    assert s.slack.channels_by_language == {"ja": "#care-japan"}
    assert "#care-japan" in routed_channels(s)  # `slack check` checks the bot can post there
    assert LanguageStage.from_settings(s).policy.reads("de")


@pytest.mark.parametrize(("yaml", "key", "words"), [
    ("classifier:\n  languages: [en, de]\n", "classifier.languages", "reads English only"),
    ("classifier:\n  kind: zero-shot\n  model: m\n  languages: [english]\n",
     "classifier.languages", "'english' is not a language code"),
    ("classifier:\n  languages: []\n", "classifier.languages", "at least 1"),
    ("classifier:\n  unsupported_language: drop\n", "classifier.unsupported_language",
     "'question', 'other' or 'keep'"),
    ("slack:\n  channels_by_language: {Japanese: '#jp'}\n", "slack.channels_by_language",
     "'japanese' is not a language code"),
])
def test_load_settings__bad_language_settings_name_the_key(tmp_path: Path, yaml: str, key: str,
                                                           words: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert key in str(err.value) and words in str(err.value)
