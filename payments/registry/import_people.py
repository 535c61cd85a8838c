"""The people of one import chunk: new citizen IDs inserted, changed details updated with a new
version, unchanged ones left alone (so re-importing a file adds nothing). People moved to
another commune have their enrolments there closed (DOMAIN rule 6). See import_writer.py."""

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from payments.db import table_of
from payments.registry.bulk import bulk_insert
from payments.registry.enrolments import close_for_move
from payments.registry.import_context import ImportContext
from payments.registry.import_rows import ParsedRow
from payments.registry.model import Beneficiary, BeneficiaryVersion
from payments.registry.units import is_move, successor_map
from payments.registry.validation import Person

B = table_of(Beneficiary)
PERSON_COLUMNS = ("full_name", "date_of_birth", "sex", "commune_code", "phone_bidx", "legacy_id_bidx")


def write_people(context: ImportContext, groups: dict[str, list[ParsedRow]]) -> dict[str, int]:
    """The beneficiary id of every citizen ID in the chunk, inserting or updating as needed."""
    bidx = {cid: context.cipher.index("citizen_id", cid) for cid in groups}
    found = {
        r.citizen_id_bidx: r
        for r in context.session.execute(
            select(
                B.c.id,
                B.c.citizen_id_bidx,
                B.c.version,
                B.c.death_date,
                *(B.c[c] for c in PERSON_COLUMNS),
            ).where(B.c.citizen_id_bidx.in_(list(bidx.values())))
        )
    }
    ids = {cid: found[bidx[cid]].id for cid in groups if bidx[cid] in found}
    fresh = [cid for cid in groups if bidx[cid] not in found]
    ids.update(_insert_people(context, [groups[cid][0] for cid in fresh], bidx))
    _update_people(context, [(groups[cid][0], found[bidx[cid]]) for cid in groups if bidx[cid] in found])
    return ids


def _insert_people(context: ImportContext, rows: list[ParsedRow], bidx: dict[str, str]) -> dict[str, int]:
    if not rows:
        return {}
    values = [
        {
            **_person_values(context, row.person),
            "citizen_id_bidx": bidx[row.person.citizen_id],
            **context.sealed("citizen_id", row.person.citizen_id),
            "version": 1,
            "created_at": context.now,
            "updated_at": context.now,
        }
        for row in rows
    ]
    bulk_insert(context.session, B, values)
    # Read the new ids back by blind index (indexed): cheaper than RETURNING row by row.
    by_index = _pairs(
        context.session.execute(
            select(B.c.citizen_id_bidx, B.c.id).where(
                B.c.citizen_id_bidx.in_([v["citizen_id_bidx"] for v in values])
            )
        )
    )
    ids = {row.person.citizen_id: by_index[bidx[row.person.citizen_id]] for row in rows}
    _versions(
        context,
        [(ids[r.person.citizen_id], 1, r.effective_date or r.terms.decision_date, r, None) for r in rows],
        "imported",
    )
    context.report.beneficiaries_created += len(rows)
    context.changed.update(row.line for row in rows)
    return ids


def _update_people(context: ImportContext, pairs: list[tuple[ParsedRow, Row[Any]]]) -> None:
    changed = [(row, old) for row, old in pairs if _differs(context, row.person, old)]
    if not changed:
        return
    latest = _pairs(
        context.session.execute(
            select(BeneficiaryVersion.beneficiary_id, func.max(BeneficiaryVersion.effective_date))
            .where(BeneficiaryVersion.beneficiary_id.in_([old.id for _, old in changed]))
            .group_by(BeneficiaryVersion.beneficiary_id)
        )
    )
    updates, versions = [], []
    for row, old in changed:
        effective = row.effective_date or context.today
        if effective < latest[old.id]:
            context.problem(row, "effective_date", f"a change cannot take effect before {latest[old.id]}")
            continue
        updates.append(
            {
                "id": old.id,
                **_person_values(context, row.person),
                "version": old.version + 1,
                "updated_at": context.now,
            }
        )
        versions.append((old.id, old.version + 1, effective, row, old.death_date))
    if updates:
        context.session.execute(update(Beneficiary), updates)
        _versions(context, versions, "imported_update")
        context.report.beneficiaries_updated += len(updates)
        context.changed.update(item[3].line for item in versions)
        _close_moved(context, [(pid, row, effective) for pid, _, effective, row, _ in versions], changed)


def _close_moved(
    context: ImportContext,
    updated: list[tuple[int, ParsedRow, date]],
    changed: list[tuple[ParsedRow, Row[Any]]],
) -> None:
    """DOMAIN rule 6 for the people this chunk moved to another commune (rare: one by one)."""
    before = {old.id: old.commune_code for _, old in changed}
    successors = successor_map(context.session, context.today)
    for person_id, row, moved_on in updated:
        if is_move(successors, before[person_id], row.person.commune_code):
            closed = close_for_move(
                context.session, context.actor, person_id, from_commune=before[person_id],
                to_commune=row.person.commune_code, moved_on=moved_on, clock=lambda: context.now,
            )  # fmt: skip
            context.moved.add(person_id)
            context.report.enrolments_closed_by_move += len(closed)


def _differs(context: ImportContext, person: Person, old: Row[Any]) -> bool:
    new = (
        person.full_name,
        person.date_of_birth,
        person.sex,
        person.commune_code,
        context.index("phone", person.phone),
        context.index("legacy_id", person.legacy_id),
    )
    return new != tuple(getattr(old, column) for column in PERSON_COLUMNS)


def _person_values(context: ImportContext, person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "search_name": person.search_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "commune_code": person.commune_code,
        **context.sealed("phone", person.phone),
        "phone_bidx": context.index("phone", person.phone),
        **context.sealed("legacy_id", person.legacy_id),
        "legacy_id_bidx": context.index("legacy_id", person.legacy_id),
    }


def _versions(
    context: ImportContext, items: list[tuple[int, int, date, ParsedRow, date | None]], change: str
) -> None:
    bulk_insert(
        context.session,
        table_of(BeneficiaryVersion),
        [
            {
                "beneficiary_id": pid,
                "version": version,
                "effective_date": effective,
                "recorded_at": context.now,
                "recorded_by": context.by,
                "change": change,
                "full_name": row.person.full_name,
                "date_of_birth": row.person.date_of_birth,
                "sex": row.person.sex,
                "commune_code": row.person.commune_code,
                "phone_bidx": context.index("phone", row.person.phone),
                "legacy_id_bidx": context.index("legacy_id", row.person.legacy_id),
                "death_date": died,
            }
            for pid, version, effective, row, died in items
        ],
    )


def _pairs(result: Any) -> dict[Any, Any]:
    return {key: value for key, value in result}  # noqa: C416 - dict() would treat a Result as a mapping
