"""CSV column mappings from configuration: an adapter instance's `csv_mapping` table.

A provider's CSV report changes more often than our code, so an instance may say how to read
its report without a release. The table may start from a built-in mapping (`base`) and
override or add to it, or stand alone; in TOML:

    [vietinbank]
    kind = "iso20022"
    [vietinbank.csv_mapping]
    base = "bank_csv"                                  # optional: start from a built-in mapping
    columns = { end_to_end_id = "ma_gd", amount_vnd = "so_tien" }  # our field = their column
    directions = { N = "DBIT", C = "CRDT" }            # their value = ours
    reasons = { TK_DONG = "AC04" }                     # their error = an ISO reason code
    # record_type = "loai"; kinds = { DAU = "opening", CUOI = "closing", GD = "entry" }

Everything is checked when the application starts: a wrong mapping stops it with a message
naming the instance and the key, rather than failing on the first report months later.
"""

from collections.abc import Mapping
from typing import Any

from payments.adapters.errors import AdapterConfigError
from payments.adapters.vocabulary import ReasonCode
from payments.reconcile.csv_reports import (
    BUILT_IN,
    OPTIONAL_FIELDS,
    REFERENCE_FIELDS,
    REQUIRED_FIELDS,
    CsvMapping,
)
from payments.reconcile.lines import CREDIT, DEBIT

SETTING = "csv_mapping"
KEYS = ("base", "columns", "record_type", "kinds", "directions", "reasons")
KINDS = ("opening", "closing", "entry")


def configured_mappings(instances: Mapping[str, Mapping[str, Any]]) -> dict[str, CsvMapping]:
    """{instance name: its mapping} for every instance whose settings carry `csv_mapping`.
    Raises AdapterConfigError naming the instance and what is wrong."""
    return {
        name: mapping_from_settings(name, settings[SETTING])
        for name, settings in instances.items()
        if SETTING in settings
    }


def mapping_from_settings(instance: str, table: Any) -> CsvMapping:
    """One instance's `csv_mapping` table, over its `base` if it names one."""
    where = f"adapter {instance}: {SETTING}"
    if not isinstance(table, Mapping):
        raise AdapterConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise AdapterConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    base = _base(where, table.get("base"))
    mapping = CsvMapping(
        name=instance,
        columns={**base.columns, **_texts(where, table, "columns")},
        record_type=_record_type(where, table.get("record_type", base.record_type)),
        kinds={**base.kinds, **_texts(where, table, "kinds")},
        directions={**base.directions, **_texts(where, table, "directions")},
        reasons={**base.reasons, **_texts(where, table, "reasons")},
    )
    _check(where, mapping)
    return mapping


def _base(where: str, name: Any) -> CsvMapping:
    if name is None:
        return CsvMapping(name="", columns={})
    if name not in BUILT_IN:
        raise AdapterConfigError(f"{where}.base {name!r} is not a built-in mapping ({', '.join(BUILT_IN)})")
    return BUILT_IN[name]


def _texts(where: str, table: Mapping[str, Any], key: str) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise AdapterConfigError(f"{where}.{key} must be a table of non-empty texts")
    return dict(value)


def _record_type(where: str, value: Any) -> str | None:
    if value is not None and not (isinstance(value, str) and value):
        raise AdapterConfigError(f"{where}.record_type must be a column name")
    return value


def _check(where: str, mapping: CsvMapping) -> None:
    """The whole mapping (base and overrides together) can read a report."""
    fields = set(mapping.columns)
    unknown = sorted(fields - REQUIRED_FIELDS - OPTIONAL_FIELDS)
    if unknown:
        known = ", ".join(sorted(REQUIRED_FIELDS | OPTIONAL_FIELDS))
        raise AdapterConfigError(f"{where}.columns: unknown field(s) {', '.join(unknown)}; ours are {known}")
    missing = sorted(REQUIRED_FIELDS - fields)
    if missing:
        raise AdapterConfigError(f"{where}.columns must name the column of {', '.join(missing)}")
    if not fields & REFERENCE_FIELDS:
        raise AdapterConfigError(
            f"{where}.columns must name end_to_end_id or provider_tx_id (to match rows by)"
        )
    _values_in(where, "directions", mapping.directions, (DEBIT, CREDIT))
    _values_in(where, "kinds", mapping.kinds, KINDS)
    _values_in(where, "reasons", mapping.reasons, tuple(code.value for code in ReasonCode))
    if mapping.record_type and "entry" not in mapping.kinds.values():
        raise AdapterConfigError(f"{where}.kinds must say which {mapping.record_type} value marks an entry")
    if mapping.kinds and not mapping.record_type:
        raise AdapterConfigError(f"{where}.kinds needs record_type: the column that holds them")


def _values_in(where: str, key: str, table: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    wrong = sorted(f"{theirs} = {ours!r}" for theirs, ours in table.items() if ours not in allowed)
    if wrong:
        raise AdapterConfigError(f"{where}.{key}: {', '.join(wrong)} not one of {', '.join(allowed)}")
