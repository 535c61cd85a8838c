"""What the writing of one import's chunks shares: the session, the cipher, the time, the
report, the lines that changed something and the people moved, and the sealing, blind indexing
and problem recording every part of the write uses (import_writer.py runs the parts)."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from payments.clock import local_date
from payments.context import Actor
from payments.registry.crypto import PiiCipher
from payments.registry.import_rows import ParsedRow, RowProblem
from payments.registry.validation import Reference

if TYPE_CHECKING:
    from payments.registry.importer import ImportReport


class ImportContext:
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
        self.today = local_date(now)
        self.report = report
        self.changed: set[int] = set()  # lines that changed something
        self.moved: set[int] = set()  # people this import moved to another commune (DOMAIN rule 6)
        self.indexes: dict[tuple[str, str], str] = {}  # blind indexes worked out, for one chunk

    def sealed(self, field: str, value: str | None) -> dict[str, Any]:
        if not value:
            return {f"{field}_ct": None, f"{field}_key": None}
        sealed = self.cipher.seal(field, value)
        return {f"{field}_ct": sealed.ciphertext, f"{field}_key": sealed.key_id}

    def index(self, field: str, value: str | None) -> str | None:
        if not value:
            return None
        key = (field, value)
        found = self.indexes.get(key)
        if found is None:
            found = self.indexes[key] = self.cipher.index(field, value)
        return found

    def problem(self, row: ParsedRow, column: str, message: str) -> None:
        self.report.problems.append(RowProblem(row.line, column, message))
