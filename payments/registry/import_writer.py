"""Pass two of an import: one chunk of valid rows compared with the database and written in
bulk (a handful of statements per chunk, never a flush per row). See importer.py.

People are written first (import_people.py) because enrolments (import_enrolments.py) and
instruments (import_instruments.py) need their ids; what the three share is the import's
context (import_context.py)."""

from payments.registry.import_context import ImportContext
from payments.registry.import_enrolments import write_enrolments
from payments.registry.import_instruments import write_instruments
from payments.registry.import_people import write_people
from payments.registry.import_rows import ParsedRow


def write_chunk(context: ImportContext, rows: list[ParsedRow]) -> None:
    context.indexes.clear()  # a memo for this chunk only
    groups: dict[str, list[ParsedRow]] = {}
    for row in rows:
        groups.setdefault(row.person.citizen_id, []).append(row)
    ids = write_people(context, groups)
    write_enrolments(context, rows, ids)
    write_instruments(context, groups, ids)
    context.report.unchanged_rows += sum(1 for row in rows if row.line not in context.changed)
