"""Slack's Block Kit size limits, checked by the fake Slack the way Slack answers invalid_blocks."""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000  # chat.postMessage `text`; longer is msg_too_long
SECTION_TEXT = 3000
SECTION_FIELD = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
TEXT_OBJECT = 3000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
PLACEHOLDER = 150
ACTION_ID = 255
BLOCK_ID = 255
ACTIONS_ELEMENTS = 25
SELECT_OPTIONS = 100
ALT_TEXT = 2000


def _text(obj: Any, limit: int, where: str, errors: list[str]) -> None:
    text = (obj or {}).get("text") if isinstance(obj, dict) else None
    if not isinstance(text, str) or not text:
        errors.append(f"missing text [json-pointer:{where}/text]")
    elif len(text) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{where}/text]")


def _element(e: dict[str, Any], where: str, errors: list[str]) -> None:
    if len(str(e.get("action_id", ""))) > ACTION_ID:
        errors.append(f"action_id too long [json-pointer:{where}/action_id]")
    if e.get("type") == "button":
        _text(e.get("text"), BUTTON_TEXT, f"{where}/text", errors)
        if len(str(e.get("value", ""))) > BUTTON_VALUE:
            errors.append(f"must be less than {BUTTON_VALUE + 1} characters "
                          f"[json-pointer:{where}/value]")
    elif e.get("type") == "static_select":
        _text(e.get("placeholder"), PLACEHOLDER, f"{where}/placeholder", errors)
        options = e.get("options") or []
        if len(options) > SELECT_OPTIONS:
            errors.append(f"too many options [json-pointer:{where}/options]")
        for j, o in enumerate(options):
            _text(o.get("text"), OPTION_TEXT, f"{where}/options/{j}/text", errors)
            if len(str(o.get("value", ""))) > OPTION_VALUE:
                errors.append(f"must be less than {OPTION_VALUE + 1} characters "
                              f"[json-pointer:{where}/options/{j}/value]")


def problems(blocks: list[dict[str, Any]] | None) -> list[str]:
    """What Slack would reject in `blocks`, in its words; empty when they are valid."""
    errors: list[str] = []
    blocks = blocks or []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, b in enumerate(blocks):
        where = f"/blocks/{i}"
        if len(str(b.get("block_id", ""))) > BLOCK_ID:
            errors.append(f"block_id too long [json-pointer:{where}/block_id]")
        kind = b.get("type")
        if kind == "header":
            _text(b.get("text"), HEADER_TEXT, f"{where}/text", errors)
        elif kind == "section":
            if b.get("text") is not None or not b.get("fields"):
                _text(b.get("text"), SECTION_TEXT, f"{where}/text", errors)
            for j, fld in enumerate(b.get("fields") or []):
                _text(fld, SECTION_FIELD, f"{where}/fields/{j}", errors)
        elif kind == "context":
            elements = b.get("elements") or []
            if not 0 < len(elements) <= CONTEXT_ELEMENTS:
                errors.append(f"1 to {CONTEXT_ELEMENTS} elements [json-pointer:{where}/elements]")
            for j, e in enumerate(elements):
                if e.get("type") in ("mrkdwn", "plain_text"):
                    _text(e, TEXT_OBJECT, f"{where}/elements/{j}", errors)
        elif kind == "actions":
            elements = b.get("elements") or []
            if len(elements) > ACTIONS_ELEMENTS:
                errors.append(f"too many elements [json-pointer:{where}/elements]")
            for j, e in enumerate(elements):
                _element(e, f"{where}/elements/{j}", errors)
        elif kind == "image" and len(str(b.get("alt_text", ""))) > ALT_TEXT:
            errors.append(f"alt_text too long [json-pointer:{where}/alt_text]")
    return errors
