"""A run's report: counts and đồng per outcome and per exception class, the tie-outs, and the
three-way view; rendered as JSON, CSV or a summary a person reads."""

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from payments.errors import InvalidInput
from payments.reconcile.tieouts import tie_outs

if TYPE_CHECKING:
    from payments.reconcile.runs import Runner

FORMATS = ("json", "csv", "text")


def build_report(session: Session, runner: "Runner", finished_at: datetime) -> dict[str, Any]:
    tally = runner.tally
    return {
        "run": {
            "id": None,
            "kind": runner.kind,
            "dry_run": runner.dry_run,
            "adapter": runner.adapter,
            "started_by": runner.actor.username,
            "started_at": runner.started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
        },
        "imports": [
            {
                "id": i.id,
                "file_name": i.file_name,
                "kind": i.kind,
                "adapter": i.adapter,
                "lines": i.line_count,
            }
            for i in runner.imports
        ],
        "lines": tally.lines,
        "posted_entries": tally.posted,
        "outcomes": _classes(tally.outcomes, tally.outcome_vnd),
        "exceptions": _classes(tally.exceptions, tally.exception_vnd),
        "tie_outs": tie_outs(session),
    }


def _classes(counts: dict[str, int], amounts: dict[str, int]) -> dict[str, dict[str, int]]:
    return {name: {"count": counts[name], "amount_vnd": amounts.get(name, 0)} for name in sorted(counts)}


def render(report: dict[str, Any], fmt: str) -> str:
    """The report as `json`, `csv` (section, name, measure, value rows) or `text`."""
    if fmt == "json":
        return json.dumps(report, indent=2, sort_keys=True)
    if fmt == "csv":
        return _csv(report)
    if fmt == "text":
        return _text(report)
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")


def _rows(report: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    rows: list[tuple[str, str, str, Any]] = [("run", "lines", "count", report["lines"])]
    rows.append(("run", "posted_entries", "count", report["posted_entries"]))
    for section in ("outcomes", "exceptions"):
        for name, figures in report[section].items():
            rows += [
                (section, name, "count", figures["count"]),
                (section, name, "amount_vnd", figures["amount_vnd"]),
            ]
    for adapter, tie in report["tie_outs"]["adapters"].items():
        for part in ("in_flight", "settlement", "three_way"):
            rows += [  # lists (days, payouts named) stay in the JSON: one value per CSV row
                (f"tie_out:{adapter}", part, key, value)
                for key, value in _flat(tie[part])
                if not isinstance(value, list)
            ]
    return rows


def _flat(figures: dict[str, Any]) -> list[tuple[str, Any]]:
    """`{"written_off": {"count": 1}}` as `("written_off.count", 1)`: one value per CSV row."""
    flat: list[tuple[str, Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict):
            flat += [(f"{key}.{inner}", v) for inner, v in value.items()]
        else:
            flat.append((key, value))
    return flat


def _csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "name", "measure", "value"))
    writer.writerows(_rows(report))
    return out.getvalue()


def _text(report: dict[str, Any]) -> str:
    run = report["run"]
    title = (
        f"Reconciliation run {run['id']} ({run['kind']}{', dry run: nothing kept' if run['dry_run'] else ''})"
    )
    lines = [title, f"  lines read: {report['lines']}, ledger entries posted: {report['posted_entries']}"]
    lines.append("Outcomes:")
    lines += [f"  {n:<28} {f['count']:>9}  {f['amount_vnd']:>18,} VND" for n, f in report["outcomes"].items()]
    lines.append("Exceptions raised:" if report["exceptions"] else "Exceptions raised: none")
    lines += [
        f"  {n:<28} {f['count']:>9}  {f['amount_vnd']:>18,} VND" for n, f in report["exceptions"].items()
    ]
    ties = report["tie_outs"]
    lines.append(f"Tie-outs: {'all hold' if ties['holds'] else 'BROKEN'}")
    for adapter, tie in ties["adapters"].items():
        flight, settle = tie["in_flight"], tie["settlement"]
        lines.append(
            f"  {adapter}: in flight {flight['ledger_vnd']:,} VND vs {flight['unsettled_payouts']} payouts "
            f"{flight['unsettled_vnd']:,} VND [{'ok' if flight['holds'] else 'BROKEN'}]"
        )
        lines.append(
            f"  {adapter}: statements moved {settle['statement_movement_vnd']:,} VND over "
            f"{len(settle['days'])} day(s); the ledger's settlement entries for their bookings "
            f"{settle['ledger_movement_vnd']:,} VND [{'ok' if settle['unexplained_vnd'] == 0 else 'BROKEN'}]"
        )
        written_off = settle.get("written_off") or {}
        if written_off.get("count"):
            lines.append(
                f"  {adapter}: {written_off['count']} write-off(s) approved, "
                f"{written_off['amount_vnd']:,} VND to expense:writeoff"
            )
        lines += _not_on_statements(adapter, settle.get("not_on_statements") or {})
        three = tie["three_way"]
        lines.append(
            f"  {adapter}: {three['settled_in_ledger']} settled, {three['settled_and_on_statement']} of them "
            f"on a statement; {three['on_statement_not_in_ledger']} statement line(s) unexplained"
        )
    return "\n".join(lines) + "\n"


def _not_on_statements(adapter: str, unseen: dict[str, Any]) -> list[str]:
    """The settled payouts no statement shows past the grace, named (the first few)."""
    if not unseen.get("count"):
        return []
    named = unseen["payouts"]
    more = unseen["count"] - len(named)
    keys = ", ".join(f"{p['payout_key']} ({p['amount_vnd']:,} VND, settled {p['settled_on']})" for p in named)
    return [
        f"  {adapter}: {unseen['count']} settled payout(s), {unseen['amount_vnd']:,} VND, on no statement "
        f"{unseen['grace_business_days']} business days after settling [BROKEN]",
        f"    {keys}{f' and {more} more' if more > 0 else ''}",
    ]
