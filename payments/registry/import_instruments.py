"""The payment instruments of one import chunk: a row naming an instrument other than the open one
closes it the day the new one starts; an empty instrument keeps the current one. See
import_writer.py."""

from sqlalchemy import select, update

from payments.db import table_of
from payments.registry.bulk import bulk_insert
from payments.registry.import_context import ImportContext
from payments.registry.import_rows import ParsedRow
from payments.registry.instruments import instrument_values
from payments.registry.model import PaymentInstrument

P = table_of(PaymentInstrument)


def write_instruments(
    context: ImportContext, groups: dict[str, list[ParsedRow]], ids: dict[str, int]
) -> None:
    """Set the instrument of every person whose first row in the chunk names one."""
    wanted = {ids[cid]: rows[0] for cid, rows in groups.items() if cid in ids and rows[0].instrument}
    if not wanted:
        return
    open_rows = {
        r.beneficiary_id: r
        for r in context.session.execute(
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
        bidx = context.cipher.index("account", index_value) if index_value else None
        if old is not None and (old.kind, old.account_bidx, old.holder_name) == (
            inst.kind,
            bidx,
            inst.holder_name,
        ):
            continue
        effective = row.effective_date or context.today
        if old is not None and effective < old.effective_from:
            context.problem(
                row, "effective_date", f"the new instrument must start on or after {old.effective_from}"
            )
            continue
        if old is not None:
            closes.append({"id": old.id, "effective_to": effective})
        values = instrument_values(
            context.cipher, pid, inst, effective_from=effective, by=context.by, now=context.now
        )
        inserts.append(values)
        context.changed.add(row.line)
    if closes:
        context.session.execute(update(PaymentInstrument), closes)
    if inserts:
        bulk_insert(context.session, P, inserts)
    context.report.instruments_set += len(inserts)
