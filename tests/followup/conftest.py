"""Follow-up fixtures: a platform kit (fake + publisher setup) per answerable source."""

from __future__ import annotations

from tests.connectors.replies.conftest import kit

__all__ = ["kit"]
