"""Pass two of an import: one chunk of valid rows compared with the database and written in
bulk (a handful of statements per chunk, never a flush per row). See importer.py.

The writer holds what a chunk's statements share: the session, the cipher, the time, the
report, the lines that changed something and the people moved. People are written first
(import_people.py) because enrolments (import_enrolments.py) and instruments
(import_instruments.py) need their ids."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from payments.context import Actor
from payments.registry.crypto import PiiCipher
from payments.registry.import_enrolments import write_enrolments
from payments.registry.import_instruments import write_instruments
from payments.registry.import_people import write_people
from payments.registry.import_rows import ParsedRow, RowProblem
from payments.registry.validation import Reference

if TYPE_CHECKING:
    from payments.registry.importer import ImportReport


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
        ids = write_people(self, groups)
        write_enrolments(self, rows, ids)
        write_instruments(self, groups, ids)
        self.report.unchanged_rows += sum(1 for row in rows if row.line not in self.changed)

    def sealed(self, field: str, value: str | None) -> dict[str, Any]:
        if not value:
            return {f"{field}_ct": None, f"{field}_key": None}
        sealed = self.cipher.seal(field, value)
        return {f"{field}_ct": sealed.ciphertext, f"{field}_key": sealed.key_id}

    def index(self, field: str, value: str | None) -> str | None:
        if not value:
            return None
        key = (field, value)
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = self.cipher.index(field, value)
        return found

    def problem(self, row: ParsedRow, column: str, message: str) -> None:
        self.report.problems.append(RowProblem(row.line, column, message))
