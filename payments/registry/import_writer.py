"""Pass two of an import: one chunk of valid rows compared with the database and written in
bulk (a handful of statements per chunk, never a flush per row). See importer.py."""

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from payments.context import Actor
from payments.registry.bulk import bulk_insert
from payments.registry.crypto import PiiCipher
from payments.registry.enrolments import close_for_move
from payments.registry.import_rows import ParsedRow, RowProblem
from payments.registry.instruments import instrument_values
from payments.registry.model import (
    Beneficiary,
    BeneficiaryVersion,
    Enrolment,
    EnrolmentVersion,
    PaymentInstrument,
)
from payments.registry.units import is_move, successor_map
from payments.registry.validation import Person, Reference, Terms, coerce_parameters

if TYPE_CHECKING:
    from payments.registry.importer import ImportReport

B, E, V, P = (
    Beneficiary.__table__,
    Enrolment.__table__,
    EnrolmentVersion.__table__,
    PaymentInstrument.__table__,
)
PERSON_COLUMNS = ("full_name", "date_of_birth", "sex", "commune_code", "phone_bidx", "legacy_id_bidx")


class ChunkWriter:
    def __init__(
        self,
        session: Session,
        cipher: PiiCipher,
        ref: Reference,
        *,
        actor: Actor,
        now: datetime,
        report: "ImportReport",
    ) -> None:
        self.session, self.cipher, self.ref, self.now = session, cipher, ref, now
        self.actor, self.by = actor, actor.username
        self.today = now.date()
        self.report = report
        self.changed: set[int] = set()  # lines that changed something
        self.moved: set[int] = set()  # people this import moved to another commune (DOMAIN rule 6)

    def write(self, rows: list[ParsedRow]) -> None:
        self._indexes: dict[tuple[str, str], str] = {}  # memo for this chunk
        groups: dict[str, list[ParsedRow]] = {}
        for row in rows:
            groups.setdefault(row.person.citizen_id, []).append(row)
        ids = self._people(groups)
        self._enrolments(rows, ids)
        self._instruments(groups, ids)
        self.report.unchanged_rows += sum(1 for row in rows if row.line not in self.changed)

    # people -----------------------------------------------------------------------------
    def _people(self, groups: dict[str, list[ParsedRow]]) -> dict[str, int]:
        bidx = {cid: self.cipher.index("citizen_id", cid) for cid in groups}
        found = {
            r.citizen_id_bidx: r
            for r in self.session.execute(
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
        ids.update(self._insert_people([groups[cid][0] for cid in fresh], bidx))
        self._update_people([(groups[cid][0], found[bidx[cid]]) for cid in groups if bidx[cid] in found])
        return ids

    def _insert_people(self, rows: list[ParsedRow], bidx: dict[str, str]) -> dict[str, int]:
        if not rows:
            return {}
        values = [
            {
                **self._person_values(row.person),
                "citizen_id_bidx": bidx[row.person.citizen_id],
                **self._sealed("citizen_id", row.person.citizen_id),
                "version": 1,
                "created_at": self.now,
                "updated_at": self.now,
            }
            for row in rows
        ]
        bulk_insert(self.session, B, values)
        # Read the new ids back by blind index (indexed): cheaper than RETURNING row by row.
        by_index = _pairs(
            self.session.execute(
                select(B.c.citizen_id_bidx, B.c.id).where(
                    B.c.citizen_id_bidx.in_([v["citizen_id_bidx"] for v in values])
                )
            )
        )
        ids = {row.person.citizen_id: by_index[bidx[row.person.citizen_id]] for row in rows}
        self._versions(
            [(ids[r.person.citizen_id], 1, r.effective_date or r.terms.decision_date, r, None) for r in rows],
            "imported",
        )
        self.report.beneficiaries_created += len(rows)
        self.changed.update(row.line for row in rows)
        return ids

    def _update_people(self, pairs: list[tuple[ParsedRow, Row[Any]]]) -> None:
        changed = [(row, old) for row, old in pairs if self._differs(row.person, old)]
        if not changed:
            return
        latest = _pairs(
            self.session.execute(
                select(BeneficiaryVersion.beneficiary_id, func.max(BeneficiaryVersion.effective_date))
                .where(BeneficiaryVersion.beneficiary_id.in_([old.id for _, old in changed]))
                .group_by(BeneficiaryVersion.beneficiary_id)
            )
        )
        updates, versions = [], []
        for row, old in changed:
            effective = row.effective_date or self.today
            if effective < latest[old.id]:
                self._problem(row, "effective_date", f"a change cannot take effect before {latest[old.id]}")
                continue
            updates.append(
                {
                    "id": old.id,
                    **self._person_values(row.person),
                    "version": old.version + 1,
                    "updated_at": self.now,
                }
            )
            versions.append((old.id, old.version + 1, effective, row, old.death_date))
        if updates:
            self.session.execute(update(Beneficiary), updates)
            self._versions(versions, "imported_update")
            self.report.beneficiaries_updated += len(updates)
            self.changed.update(item[3].line for item in versions)
            self._close_moved([(pid, row, effective) for pid, _, effective, row, _ in versions], changed)

    def _close_moved(
        self, updated: list[tuple[int, ParsedRow, date]], changed: list[tuple[ParsedRow, Row[Any]]]
    ) -> None:
        """DOMAIN rule 6 for the people this chunk moved to another commune (rare: one by one)."""
        before = {old.id: old.commune_code for _, old in changed}
        successors = successor_map(self.session, self.today)
        for person_id, row, moved_on in updated:
            if is_move(successors, before[person_id], row.person.commune_code):
                closed = close_for_move(
                    self.session, self.actor, person_id, from_commune=before[person_id],
                    to_commune=row.person.commune_code, moved_on=moved_on, clock=lambda: self.now,
                )  # fmt: skip
                self.moved.add(person_id)
                self.report.enrolments_closed_by_move += len(closed)

    def _differs(self, person: Person, old: Row[Any]) -> bool:
        new = (
            person.full_name,
            person.date_of_birth,
            person.sex,
            person.commune_code,
            self._index("phone", person.phone),
            self._index("legacy_id", person.legacy_id),
        )
        return new != tuple(getattr(old, column) for column in PERSON_COLUMNS)

    def _person_values(self, person: Person) -> dict[str, Any]:
        return {
            "full_name": person.full_name,
            "search_name": person.search_name,
            "date_of_birth": person.date_of_birth,
            "sex": person.sex,
            "commune_code": person.commune_code,
            **self._sealed("phone", person.phone),
            "phone_bidx": self._index("phone", person.phone),
            **self._sealed("legacy_id", person.legacy_id),
            "legacy_id_bidx": self._index("legacy_id", person.legacy_id),
        }

    def _versions(self, items: list[tuple[int, int, date, ParsedRow, date | None]], change: str) -> None:
        bulk_insert(
            self.session,
            BeneficiaryVersion.__table__,
            [
                {
                    "beneficiary_id": pid,
                    "version": version,
                    "effective_date": effective,
                    "recorded_at": self.now,
                    "recorded_by": self.by,
                    "change": change,
                    "full_name": row.person.full_name,
                    "date_of_birth": row.person.date_of_birth,
                    "sex": row.person.sex,
                    "commune_code": row.person.commune_code,
                    "phone_bidx": self._index("phone", row.person.phone),
                    "legacy_id_bidx": self._index("legacy_id", row.person.legacy_id),
                    "death_date": died,
                }
                for pid, version, effective, row, died in items
            ],
        )

    # enrolments -------------------------------------------------------------------------
    def _enrolments(self, rows: list[ParsedRow], ids: dict[str, int]) -> None:
        current = self._current_enrolments(list(ids.values()))
        fresh, amended = [], []
        for row in rows:
            pid, terms = ids[row.person.citizen_id], self._coerced(row.terms)
            old = current.get((pid, terms.programme))
            if _closed_by_this_move(old, pid, terms, self.moved):
                continue  # the row still names the old commune's decision: closed, as rule 6 says
            if old is None or (old.status == "terminated" and old.decision_number != terms.decision_number):
                fresh.append((pid, row, terms))
            elif _stored_terms(old) != terms:
                self._amend(row, terms, old, amended)
        self._insert_enrolments(fresh)
        if amended:
            bulk_insert(self.session, V, [values for values, _ in amended])
            self.session.execute(update(Enrolment), [change for _, change in amended])
            self.report.enrolment_versions_added += len(amended)

    def _amend(self, row: ParsedRow, terms: Terms, old: Row[Any], amended: list) -> None:  # type: ignore[type-arg]
        effective = row.effective_date or self.today
        if old.status == "terminated":
            return self._problem(row, "decision_number", "the enrolment under this decision is terminated")
        if effective < old.effective_date:
            return self._problem(
                row, "effective_date", f"a change cannot take effect before {old.effective_date}"
            )
        version = old.current_version + 1
        values = self._version_values(
            old.id, version, terms, effective=effective, status=old.status, change="imported_update"
        )
        amended.append(
            (values, {"id": old.id, "current_version": version, "category_code": terms.category_code})
        )
        self.changed.add(row.line)
        return None

    def _insert_enrolments(self, fresh: list[tuple[int, ParsedRow, Terms]]) -> None:
        if not fresh:
            return
        values = [
            {
                "beneficiary_id": pid,
                "programme_code": terms.programme,
                "category_code": terms.category_code,
                "status": "active",
                "current_version": 1,
                "created_at": self.now,
            }
            for pid, _, terms in fresh
        ]
        bulk_insert(self.session, E, values)
        # The newest enrolment per person and programme is the one just written.
        new_ids = {
            (pid, programme): new_id
            for new_id, pid, programme in self.session.execute(
                select(E.c.id, E.c.beneficiary_id, E.c.programme_code)
                .where(E.c.beneficiary_id.in_(list({pid for pid, _, _ in fresh})))
                .order_by(E.c.id)
            )
        }
        versions = [
            self._version_values(
                new_ids[pid, terms.programme],
                1,
                terms,
                effective=terms.decision_date,
                status="active",
                change="imported",
            )
            for pid, _, terms in fresh
        ]
        bulk_insert(self.session, V, versions)
        self.report.enrolments_created += len(fresh)
        self.changed.update(row.line for _, row, _ in fresh)

    def _current_enrolments(self, person_ids: list[int]) -> dict[tuple[int, str], Row[Any]]:
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
        return {(row.beneficiary_id, row.programme_code): row for row in self.session.execute(query)}

    def _version_values(
        self, enrolment_id: int, version: int, terms: Terms, *, effective: date, status: str, change: str
    ) -> dict[str, Any]:
        return {
            "enrolment_id": enrolment_id,
            "version": version,
            "effective_date": effective,
            "recorded_at": self.now,
            "recorded_by": self.by,
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

    def _coerced(self, terms: Terms) -> Terms:
        specs = self.ref.categories[terms.category_code][1]
        return replace(terms, parameters=coerce_parameters(specs, terms.parameters))

    # instruments ------------------------------------------------------------------------
    def _instruments(self, groups: dict[str, list[ParsedRow]], ids: dict[str, int]) -> None:
        wanted = {ids[cid]: rows[0] for cid, rows in groups.items() if cid in ids and rows[0].instrument}
        if not wanted:
            return
        open_rows = {
            r.beneficiary_id: r
            for r in self.session.execute(
                select(
                    P.c.id,
                    P.c.beneficiary_id,
                    P.c.kind,
                    P.c.account_bidx,
                    P.c.holder_name,
                    P.c.effective_from,
                ).where(P.c.beneficiary_id.in_(list(wanted)), P.c.effective_to.is_(None))
            )
        }
        closes, inserts = [], []
        for pid, row in wanted.items():
            inst, old = row.instrument, open_rows.get(pid)
            assert inst is not None
            index_value = inst.index_value()
            bidx = self.cipher.index("account", index_value) if index_value else None
            if old is not None and (old.kind, old.account_bidx, old.holder_name) == (
                inst.kind,
                bidx,
                inst.holder_name,
            ):
                continue
            effective = row.effective_date or self.today
            if old is not None and effective < old.effective_from:
                self._problem(
                    row, "effective_date", f"the new instrument must start on or after {old.effective_from}"
                )
                continue
            if old is not None:
                closes.append({"id": old.id, "effective_to": effective})
            values = instrument_values(
                self.cipher, pid, inst, effective_from=effective, by=self.by, now=self.now
            )
            inserts.append(values)
            self.changed.add(row.line)
        if closes:
            self.session.execute(update(PaymentInstrument), closes)
        if inserts:
            bulk_insert(self.session, P, inserts)
        self.report.instruments_set += len(inserts)

    # helpers ----------------------------------------------------------------------------
    def _sealed(self, field: str, value: str | None) -> dict[str, Any]:
        if not value:
            return {f"{field}_ct": None, f"{field}_key": None}
        sealed = self.cipher.seal(field, value)
        return {f"{field}_ct": sealed.ciphertext, f"{field}_key": sealed.key_id}

    def _index(self, field: str, value: str | None) -> str | None:
        if not value:
            return None
        key = (field, value)
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = self.cipher.index(field, value)
        return found

    def _problem(self, row: ParsedRow, column: str, message: str) -> None:
        self.report.problems.append(RowProblem(row.line, column, message))


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


def _pairs(result: Any) -> dict[Any, Any]:
    return {key: value for key, value in result}  # noqa: C416 - dict() would treat a Result as a mapping


def _closed_by_this_move(old: Row[Any] | None, person_id: int, terms: Terms, moved: set[int]) -> bool:
    return (
        old is not None
        and person_id in moved
        and old.status == "terminated"
        and old.decision_number == terms.decision_number
    )
