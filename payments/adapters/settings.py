"""Typed reads of one adapter instance's settings, failing with AdapterConfigError."""

from collections.abc import Mapping
from typing import Any

from payments.adapters.errors import AdapterConfigError


class InstanceSettings:
    """The settings of the instance `name`, as given in configuration (strings or numbers)."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name = name
        self._values = values

    def text(self, key: str, default: str | None = None) -> str:
        value = self._values.get(key, default)
        if not isinstance(value, str) or not value:
            raise AdapterConfigError(f"adapter {self.name}: setting {key!r} is required")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._values.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise AdapterConfigError(f"adapter {self.name}: setting {key!r} must be a number") from None
        if number < 0:
            raise AdapterConfigError(f"adapter {self.name}: setting {key!r} must not be negative")
        return number

    def integer(self, key: str, default: int) -> int:
        return int(self.number(key, default))
