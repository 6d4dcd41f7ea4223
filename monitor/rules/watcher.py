"""Hot reload: RulesWatcher keeps the last good RuleSet and reloads when a rules file changes."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import RulesInvalid
from monitor.rules.loader import load_rules, rule_files
from monitor.rules.ruleset import RuleSet

if TYPE_CHECKING:
    from monitor.config import Settings

logger = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(rules_dir: Path) -> Fingerprint:
    """(name, mtime_ns, size) of every rules file: changes when one is edited, added or removed."""
    out = []
    for path in rule_files(rules_dir) if rules_dir.is_dir() else [rules_dir]:
        try:
            st = path.stat()
        except OSError:
            out.append((str(path), -1, -1))
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


class RulesWatcher:
    """The daemon's view of the rules directory.

    The first load happens in the constructor and raises RulesInvalid when the rules are broken
    (the daemon cannot start without a good set). Afterwards `refresh()` reloads only when a
    file changed; a broken edit keeps the last good set, is logged with file:line:col, and is
    exposed as `last_error` until a good set loads again. Thread-safe.
    """

    def __init__(self, rules_dir: Path | str) -> None:
        self.rules_dir = Path(rules_dir)
        self._lock = threading.Lock()
        self._fingerprint = fingerprint(self.rules_dir)
        self._current = load_rules(self.rules_dir)
        self.loaded_at = datetime.now(UTC)
        self.last_error: str | None = None
        self.errors: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> RulesWatcher:
        return cls(settings.rules_dir)

    def current(self) -> RuleSet:
        """The last good rule set."""
        return self._current

    def refresh(self) -> bool:
        """Reload if any rules file changed; True when a new good set was loaded."""
        with self._lock:
            seen = fingerprint(self.rules_dir)
            if seen == self._fingerprint:
                return False
            try:
                ruleset = load_rules(self.rules_dir)
            except RulesInvalid as e:
                self._fingerprint = seen  # broken as saved: read again when it changes
                self.errors = [str(err) for err in e.errors]
                self.last_error = str(e)
                logger.error("rules not reloaded, keeping the last good set: %s", e)
                for line in self.errors[1:]:
                    logger.error("rules: %s", line)
                return False
            except Exception as e:  # a loader bug must not stop reloading: retried next time
                error = f"rules could not be loaded ({type(e).__name__}: {e})"[:500]
                if error != self.last_error:  # one line per new problem, not one per refresh
                    logger.error("rules not reloaded, keeping the last good set: %s", error,
                                 exc_info=logger.isEnabledFor(logging.DEBUG))
                self.errors, self.last_error = [error], error
                return False
            self._fingerprint = seen
            self._current = ruleset
            self.loaded_at = datetime.now(UTC)
            self.last_error = None
            self.errors = []
            logger.info("rules reloaded: %d brand(s) from %d file(s)",
                        len(ruleset), len(ruleset.files))
            return True

    def status(self) -> dict[str, Any]:
        """For `brand-monitor status`: brands, files, loaded_at (ISO), last_error."""
        current = self._current
        return {
            "brands": len(current),
            "files": len(current.files),
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "last_error": self.last_error,
        }
