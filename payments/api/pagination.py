"""Opaque cursors: base64 of a small JSON object. Clients pass `next_cursor` back unchanged.

A cursor comes back from the client, so it is input like any other: every key a list view
pages by has one type here, and a cursor holding anything else (an unknown key, a string
where an id belongs, a number beyond a BIGINT) is refused as a 422 naming the cursor, never
passed on to `int()` or to the database.
"""

import base64
import binascii
import json
from typing import Any

from payments.errors import InvalidInput

MAX_LIMIT = 500
MAX_CURSOR_CHARS = 1_000  # far beyond any cursor this API issues
_BIGINT_MAX = 2**63 - 1
_MAX_TEXT = 200
POSITION_TYPES: dict[str, type] = {  # every key a list view writes into its cursors
    "id": int,
    "after_id": int,
    "before_id": int,
    "seq": int,
    "line": int,
    "code": str,
}


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    """The position a cursor holds. Raises InvalidInput (field `cursor`) for one this API could
    not have issued."""
    if not cursor:
        return {}
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _not_ours()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise _not_ours() from exc
    if not isinstance(position, dict) or not all(_valid(key, value) for key, value in position.items()):
        raise _not_ours()
    return position


def page(items: list[Any], limit: int, position_of: Any) -> dict[str, Any]:
    """A page body: items, and a cursor when a further page may exist."""
    next_cursor = encode_cursor(position_of(items[-1])) if len(items) == limit else None
    return {"items": items, "next_cursor": next_cursor}


def _valid(key: str, value: object) -> bool:
    expected = POSITION_TYPES.get(key)
    if expected is int:
        return type(value) is int and 0 <= value <= _BIGINT_MAX  # bool is not an id
    if expected is str:
        return isinstance(value, str) and len(value) <= _MAX_TEXT
    return False


def _not_ours() -> InvalidInput:
    return InvalidInput("the cursor is not one this API issued; start again without it", field="cursor")
