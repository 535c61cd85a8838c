"""The enrolments of one import chunk: a row's terms compared with the version in force, so a new
decision enrols, changed terms add a version and the same terms change nothing. Terminated
enrolments are never amended, and a row still naming the decision a move closed is left closed
(DOMAIN rule 6). See import_writer.py."""

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Row

from payments.db import table_of
from payments.registry.bulk import bulk_insert
from payments.registry.import_context import ImportContext
from payments.registry.import_rows import ParsedRow
from payments.registry.model import Enrolment, EnrolmentVersion
from payments.registry.validation import Terms, coerce_parameters

E, V = table_of(Enrolment), table_of(EnrolmentVersion)
Amendments = list[tuple[dict[str, Any], dict[str, Any]]]  # (new version row, enrolment change)


def write_enrolments(context: ImportContext, rows: list[ParsedRow], ids: dict[str, int]) -> None:
    """Enrol or amend for every row, `ids` giving each citizen ID's beneficiary id."""
    current = _current_enrolments(context, list(ids.values()))
    fresh: list[tuple[int, ParsedRow, Terms]] = []
    amended: Amendments = []
    for row in rows:
        pid, terms = ids[row.person.citizen_id], _coerced(context, row.terms)
        old = current.get((pid, terms.programme))
        if _closed_by_this_move(old, pid, terms, context.moved):
            continue  # the row still names the old commune's decision: closed, as rule 6 says
        if old is None or (old.status == "terminated" and old.decision_number != terms.decision_number):
            fresh.append((pid, row, terms))
        elif _stored_terms(old) != terms:
            _amend(context, row, terms, old, amended)
    _insert_enrolments(context, fresh)
    if amended:
        bulk_insert(context.session, V, [values for values, _ in amended])
        context.session.execute(update(Enrolment), [change for _, change in amended])
        context.report.enrolment_versions_added += len(amended)


def _amend(context: ImportContext, row: ParsedRow, terms: Terms, old: Row[Any], amended: Amendments) -> None:
    effective = row.effective_date or context.today
    if old.status == "terminated":
        return context.problem(row, "decision_number", "the enrolment under this decision is terminated")
    if effective < old.effective_date:
        return context.problem(
            row, "effective_date", f"a change cannot take effect before {old.effective_date}"
        )
    version = old.current_version + 1
    values = _version_values(
        context, old.id, version, terms, effective=effective, status=old.status, change="imported_update"
    )
    amended.append((values, {"id": old.id, "current_version": version, "category_code": terms.category_code}))
    context.changed.add(row.line)
    return None


def _insert_enrolments(context: ImportContext, fresh: list[tuple[int, ParsedRow, Terms]]) -> None:
    if not fresh:
        return
    values = [
        {
            "beneficiary_id": pid,
            "programme_code": terms.programme,
            "category_code": terms.category_code,
            "status": "active",
            "current_version": 1,
            "created_at": context.now,
        }
        for pid, _, terms in fresh
    ]
    bulk_insert(context.session, E, values)
    # The newest enrolment per person and programme is the one just written.
    new_ids = {
        (pid, programme): new_id
        for new_id, pid, programme in context.session.execute(
            select(E.c.id, E.c.beneficiary_id, E.c.programme_code)
            .where(E.c.beneficiary_id.in_(list({pid for pid, _, _ in fresh})))
            .order_by(E.c.id)
        )
    }
    versions = [
        _version_values(
            context,
            new_ids[pid, terms.programme],
            1,
            terms,
            effective=terms.decision_date,
            status="active",
            change="imported",
        )
        for pid, _, terms in fresh
    ]
    bulk_insert(context.session, V, versions)
    context.report.enrolments_created += len(fresh)
    context.changed.update(row.line for _, row, _ in fresh)


def _current_enrolments(context: ImportContext, person_ids: list[int]) -> dict[tuple[int, str], Any]:
    query = (
        select(
            E.c.id,
            E.c.beneficiary_id,
            E.c.programme_code,
            E.c.status,
            E.c.current_version,
            V.c.category_code,
            V.c.parameters,
            V.c.decision_number,
            V.c.decision_date,
            V.c.start_month,
            V.c.end_month,
            V.c.effective_date,
        )
        .join(V, and_(V.c.enrolment_id == E.c.id, V.c.version == E.c.current_version))
        .where(E.c.beneficiary_id.in_(person_ids))
        .order_by(E.c.id)
    )
    return {(row.beneficiary_id, row.programme_code): row for row in context.session.execute(query)}


def _version_values(
    context: ImportContext,
    enrolment_id: int,
    version: int,
    terms: Terms,
    *,
    effective: date,
    status: str,
    change: str,
) -> dict[str, Any]:
    return {
        "enrolment_id": enrolment_id,
        "version": version,
        "effective_date": effective,
        "recorded_at": context.now,
        "recorded_by": context.by,
        "change": change,
        "category_code": terms.category_code,
        "parameters": terms.parameters,
        "decision_number": terms.decision_number,
        "decision_date": terms.decision_date,
        "start_month": terms.start_month,
        "end_month": terms.end_month,
        "status": status,
        "status_reason": None,
    }


def _coerced(context: ImportContext, terms: Terms) -> Terms:
    specs = context.ref.categories[terms.category_code][1]
    return replace(terms, parameters=coerce_parameters(specs, terms.parameters))


def _stored_terms(old: Row[Any]) -> Terms:
    return Terms(
        programme=old.programme_code,
        category_code=old.category_code,
        decision_number=old.decision_number,
        decision_date=old.decision_date,
        start_month=old.start_month,
        end_month=old.end_month,
        parameters=dict(old.parameters),
    )


def _closed_by_this_move(old: Row[Any] | None, person_id: int, terms: Terms, moved: set[int]) -> bool:
    return (
        old is not None
        and person_id in moved
        and old.status == "terminated"
        and old.decision_number == terms.decision_number
    )
