"""JSON log lines with the request id, and a last line of defence that masks personal data.

Code should never log a citizen ID, account or phone number; if one slips into a message,
any run of 9 or more digits is masked before the line is written.
"""

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

_LONG_DIGITS = re.compile(r"(?<!\d)(\+?\d{5,})(\d{3})(?!\d)")


def mask_digits(text: str) -> str:
    """Mask every run of 8+ digits (IDs, accounts, phones), keeping the last three."""

    def _mask(match: re.Match[str]) -> str:
        head = match.group(1)
        return "*" * len(head) + match.group(2) if len(head) + 3 >= 9 else match.group(0)

    return _LONG_DIGITS.sub(_mask, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, request_id: Callable[[], str | None]) -> None:
        super().__init__()
        self._request_id = request_id

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_digits(record.getMessage()),
            "request_id": self._request_id(),
        }
        if record.exc_info:
            line["exception"] = mask_digits(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, request_id: Callable[[], str | None]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(request_id))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
