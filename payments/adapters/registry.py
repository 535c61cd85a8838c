"""Adapter discovery and per-instance configuration.

Adapter *kinds* are found through the `payments.adapters` entry-point group: an installed
package adds a kind by declaring, in its pyproject.toml,

    [project.entry-points."payments.adapters"]
    mybank = "mybank_adapter:create"

where `create(name, settings, services)` is an `AdapterFactory`. *Instances* are named in
configuration, each with its own kind, URLs and keys, so two banks of one kind are two
instances. A setting written `env:NAME` or `file:PATH` is read from the environment or a file,
so configuration files need not hold secrets.
"""

import json
import logging
import os
import tomllib
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from payments.adapters.base import AdapterFactory, AdapterServices, PayoutAdapter
from payments.adapters.errors import AdapterConfigError

GROUP = "payments.adapters"
log = logging.getLogger(__name__)


def discover() -> dict[str, EntryPoint]:
    """Installed adapter kinds by name (not yet imported: loading happens on first use)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


class AdapterRegistry:
    """Builds named adapter instances from the kinds it knows."""

    def __init__(
        self,
        factories: Mapping[str, AdapterFactory | EntryPoint] | None = None,
        services: AdapterServices | None = None,
    ) -> None:
        self._factories: dict[str, AdapterFactory | EntryPoint] = dict(
            discover() if factories is None else factories
        )
        self._services = services or AdapterServices()

    def kinds(self) -> frozenset[str]:
        return frozenset(self._factories)

    def factory(self, kind: str) -> AdapterFactory:
        """The factory for `kind`; AdapterConfigError when no package provides it."""
        found = self._factories.get(kind)
        if found is None:
            known = ", ".join(sorted(self._factories)) or "none"
            raise AdapterConfigError(f"no adapter kind {kind!r} is installed (known: {known})")
        if isinstance(found, EntryPoint):
            try:
                found = self._factories[kind] = found.load()
            except Exception as exc:
                raise AdapterConfigError(f"adapter kind {kind!r} failed to load: {exc}") from exc
        return found

    def build(self, name: str, settings: Mapping[str, Any]) -> PayoutAdapter:
        """One instance named `name` from its settings (which name its `kind`).

        Raises AdapterConfigError for an unknown kind, a missing secret or a factory that
        does not return a PayoutAdapter.
        """
        kind = settings.get("kind")
        if not isinstance(kind, str):
            raise AdapterConfigError(f"adapter instance {name!r} has no 'kind'")
        resolved = {key: resolve_setting(name, key, value) for key, value in settings.items()}
        adapter = self.factory(kind)(name, resolved, self._services)
        if not isinstance(adapter, PayoutAdapter):
            raise AdapterConfigError(f"adapter kind {kind!r} did not build a PayoutAdapter")
        log.info("adapter instance %s of kind %s ready: %s", name, kind, sorted(adapter.capabilities))
        return adapter

    def build_all(self, instances: Mapping[str, Mapping[str, Any]]) -> dict[str, PayoutAdapter]:
        """Every configured instance by name."""
        return {name: self.build(name, settings) for name, settings in instances.items()}


def resolve_setting(instance: str, key: str, value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """`env:NAME` and `file:PATH` values read from the environment or a file; others unchanged."""
    if not isinstance(value, str):
        return value
    env = os.environ if environ is None else environ
    if value.startswith("env:"):
        if value[4:] not in env:
            raise AdapterConfigError(f"{instance}.{key}: environment variable {value[4:]} is not set")
        return env[value[4:]]
    if value.startswith("file:"):
        try:
            return Path(value[5:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise AdapterConfigError(f"{instance}.{key}: cannot read {value[5:]}: {exc}") from exc
    return value


def load_instances(path: str | Path) -> dict[str, dict[str, Any]]:
    """Instance settings from a TOML or JSON file: `{instance name: {"kind": ..., ...}}`.

    TOML files use one table per instance (`[vietcombank]`, `kind = "bank_api"`).
    """
    file = Path(path)
    readers: dict[str, Callable[[str], Any]] = {".toml": tomllib.loads, ".json": json.loads}
    reader = readers.get(file.suffix)
    if reader is None:
        raise AdapterConfigError(f"adapter configuration must be .toml or .json, not {file.name}")
    try:
        data = reader(file.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise AdapterConfigError(f"cannot read adapter configuration {file}: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise AdapterConfigError("adapter configuration maps instance names to tables of settings")
    return data
