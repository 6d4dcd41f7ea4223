"""Fixtures for the classifier tests: the packaged model, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import build_classifier
from monitor.classify.builtin import BuiltinClassifier
from monitor.config import ClassifierSettings, Settings


@pytest.fixture(scope="session")
def empty_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def builtin(empty_data_dir: Path) -> BuiltinClassifier:
    """The packaged default model, as the pipeline gets it (no trained model in data_dir)."""
    clf = build_classifier(Settings(data_dir=empty_data_dir,
                                    classifier=ClassifierSettings(batch_size=4)))
    assert isinstance(clf, BuiltinClassifier)
    return clf
