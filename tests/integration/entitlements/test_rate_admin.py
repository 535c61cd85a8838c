"""Administering rates on SQLite and PostgreSQL: tiling, provincial floors, corrections, audit."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.context import Actor
from payments.entitlements.model import Rate
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, close_rate, correct_rate, load_rate_set
from payments.entitlements.seed import seed_rows
from payments.errors import InvalidInput, NotFound, RuleViolation
from tests.factories import RateFactory

ADMIN = Actor(username="admin.lan", role="admin", user_id=None)
JULY_2024 = date(2024, 7, 1)


def national(session, code: str) -> list[Rate]:
    query = select(Rate).where(Rate.code == code, Rate.scope == "national", Rate.superseded_at.is_(None))
    return list(session.scalars(query.order_by(Rate.valid_from)))


def open_row(session, code: str) -> Rate:
    return national(session, code)[-1]


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def standard(valid_from: date, value: int, valid_to: date | None = None, scope: str = "national") -> NewRate:
    return NewRate("btxh.standard_level", scope, valid_from, valid_to, value, source="Decree 99/2026 (test)")


def test_the_migration_seeds_exactly_the_data_file(session):
    def key(row: dict) -> tuple:
        return row["code"], row["scope"], row["valid_from"]

    stored = sorted((r.summary() | {"rate_id": None} for r in session.scalars(select(Rate))), key=key)
    seeded = sorted((row.describe() | {"source": row.source} for row in seed_rows()), key=key)
    assert stored == seeded


def test_the_seeded_rate_set_pays_the_domain_example(session):
    rates = load_rate_set(session)
    assert rates.amount("ncc.war_invalid.21", JULY_2024)[0] == 1_878_000
    assert rates.row("ncc.war_invalid.21", JULY_2024).id is not None


def test_a_new_national_figure_follows_the_closed_one_and_both_are_audited(session):
    current = open_row(session, "btxh.standard_level")
    close_rate(session, ADMIN, current.id, date(2025, 12, 31))
    added = add_rate(session, ADMIN, standard(date(2026, 1, 1), 600_000))
    rates = load_rate_set(session)
    assert rates.amount("btxh.standard_level", Period(2025, 12).first_day)[0] == 500_000
    assert rates.amount("btxh.standard_level", Period(2026, 1).first_day)[0] == 600_000
    closed = events(session, "rate.close")[-1]
    assert closed.summary["before"]["valid_to"] is None
    assert closed.summary["after"]["valid_to"] == "2025-12-31"
    assert events(session, "rate.add")[-1].target_id == str(added.id)
    assert events(session, "rate.add")[-1].actor == "admin.lan"


def test_an_overlapping_row_is_refused_naming_both_periods(session):
    with pytest.raises(RuleViolation) as refused:
        add_rate(session, ADMIN, standard(date(2025, 1, 1), 600_000))
    message = refused.value.detail
    assert "2025-01-01, open-ended overlaps" in message
    assert "2024-07-01, open-ended" in message


def test_a_gap_after_the_previous_row_is_refused_naming_the_empty_months(session):
    close_rate(session, ADMIN, open_row(session, "btxh.standard_level").id, date(2025, 12, 31))
    with pytest.raises(RuleViolation, match="nothing would be in force from 2026-01-01 to 2026-02-28"):
        add_rate(session, ADMIN, standard(date(2026, 3, 1), 600_000))


def test_a_gap_before_the_next_row_is_refused_and_an_adjoining_earlier_row_accepted(session):
    # the first seeded row starts 2014-01-01
    with pytest.raises(RuleViolation, match="nothing would be in force from 2013-07-01 to 2013-12-31"):
        add_rate(session, ADMIN, standard(date(2013, 1, 1), 200_000, date(2013, 6, 30)))
    add_rate(session, ADMIN, standard(date(2013, 1, 1), 200_000, date(2013, 12, 31)))
    assert load_rate_set(session).amount("btxh.standard_level", date(2013, 12, 1))[0] == 200_000


def test_a_province_may_pay_more_than_the_national_standard(session):
    add_rate(session, ADMIN, standard(JULY_2024, 600_000, scope="68"))
    assert load_rate_set(session, "68").amount("btxh.standard_level", JULY_2024)[0] == 600_000
    assert load_rate_set(session, "60").amount("btxh.standard_level", JULY_2024)[0] == 500_000


def test_a_province_below_the_national_standard_is_refused(session):
    with pytest.raises(
        RuleViolation, match=r"province 68 may not set btxh.standard_level below .* 450000 < 500000"
    ):
        add_rate(session, ADMIN, standard(JULY_2024, 450_000, scope="68"))
    assert events(session, "rate.add") == []


def test_a_province_cannot_override_a_national_only_figure(session):
    new = NewRate("ncc.war_invalid.21", "68", JULY_2024, None, 2_000_000, source="local decision")
    with pytest.raises(RuleViolation, match="provinces may override only"):
        add_rate(session, ADMIN, new)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewRate("btxh.unknown", "national", date(2030, 1, 1), None, 1, "x"), "not a rate code"),
        (NewRate("btxh.standard_level", "6", date(2030, 1, 1), None, 1, "x"), "2-digit province"),
        (NewRate("btxh.standard_level", "68", date(2030, 1, 15), None, 1, "x"), "first day of a month"),
        (
            NewRate("btxh.standard_level", "68", date(2030, 1, 1), date(2030, 1, 30), 1, "x"),
            "last day of a month",
        ),
        (NewRate("btxh.standard_level", "68", date(2030, 1, 1), None, -5, "x"), "non-negative"),
        (NewRate("btxh.standard_level", "68", date(2030, 1, 1), None, 1, "  "), "source"),
        (
            NewRate("btxh.funeral_multiplier", "national", date(2030, 1, 1), None, "1.2345", "x"),
            "three decimals",
        ),
        (
            NewRate("btxh.standard_level", "68", date(2030, 1, 1), None, 1, "x", unit="years"),
            "measured in vnd",
        ),
    ],
)
def test_malformed_rows_are_refused_before_anything_is_written(session, new, message):
    with pytest.raises(InvalidInput, match=message):
        add_rate(session, ADMIN, new)


def test_closing_a_row_that_another_row_follows_is_refused(session):
    earlier = national(session, "btxh.standard_level")[1]  # 360,000 to 2024-06-30
    with pytest.raises(RuleViolation, match="is followed by rate"):
        close_rate(session, ADMIN, earlier.id, date(2024, 3, 31))


def test_closing_an_unknown_row_is_not_found(session):
    with pytest.raises(NotFound):
        close_rate(session, ADMIN, 987_654, date(2024, 3, 31))


def test_a_correction_supersedes_the_row_and_is_used_from_then_on(session):
    old = open_row(session, "ncc.war_invalid.22")
    new = correct_rate(session, ADMIN, old.id, 1_970_000, "Decree 77/2024 Annex II, checked on the gazette")
    assert (old.superseded_by_id, new.unverified) == (new.id, False)
    rates = load_rate_set(session)
    assert rates.amount("ncc.war_invalid.22", JULY_2024) == (
        1_970_000,
        rates.row("ncc.war_invalid.22", JULY_2024),
    )
    event = events(session, "rate.correct")[-1]
    assert (event.summary["before"]["value"], event.summary["after"]["value"]) == (1_969_000, 1_970_000)


def test_a_superseded_row_cannot_be_changed_again(session):
    old = open_row(session, "ncc.war_invalid.22")
    correct_rate(session, ADMIN, old.id, 1_970_000, "gazette")
    with pytest.raises(RuleViolation, match="superseded"):
        correct_rate(session, ADMIN, old.id, 1_971_000, "gazette")


def test_a_provincial_correction_below_the_national_figure_is_refused(session):
    local = add_rate(session, ADMIN, standard(JULY_2024, 600_000, scope="68"))
    with pytest.raises(RuleViolation, match="below the national"):
        correct_rate(session, ADMIN, local.id, 499_000, "typo")


def test_factory_rows_are_read_back_by_province(session):
    row = RateFactory(scope="42", amount_vnd=650_000)
    assert load_rate_set(session, "42").amount("btxh.standard_level", JULY_2024) == (650_000, row.to_row())


def test_a_late_decree_replaces_the_open_row_in_one_change(session):
    late = NewRate(
        "btxh.standard_level", "national", date(2026, 1, 1), None, 600_000, "late", close_previous=True
    )
    add_rate(session, ADMIN, late)
    rows = national(session, "btxh.standard_level")
    assert [(r.valid_from, r.valid_to, r.amount_vnd) for r in rows[-2:]] == [
        (JULY_2024, date(2025, 12, 31), 500_000),
        (date(2026, 1, 1), None, 600_000),
    ]
    assert [e.action for e in events(session, "rate.close") + events(session, "rate.add")] == [
        "rate.close",
        "rate.add",
    ]


def test_close_previous_does_not_hide_an_overlap_with_a_closed_row(session):
    new = NewRate(
        "btxh.standard_level", "national", date(2024, 1, 1), None, 600_000, "x", close_previous=True
    )
    with pytest.raises(RuleViolation, match="overlaps rate"):
        add_rate(session, ADMIN, new)
