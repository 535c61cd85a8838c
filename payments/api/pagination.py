"""Opaque cursors: base64 of a small JSON object. Clients pass `next_cursor` back unchanged."""

import base64
import binascii
import json
from typing import Any

from payments.errors import InvalidInput

MAX_LIMIT = 500


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("the cursor is not one this API issued; start again without it") from exc
    if not isinstance(position, dict):
        raise InvalidInput("the cursor is not one this API issued; start again without it")
    return position


def page(items: list[Any], limit: int, position_of: Any) -> dict[str, Any]:
    """A page body: items, and a cursor when a further page may exist."""
    next_cursor = encode_cursor(position_of(items[-1])) if len(items) == limit else None
    return {"items": items, "next_cursor": next_cursor}
