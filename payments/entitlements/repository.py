"""Queries on the rate table. No rules here."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from payments.entitlements.model import Rate


def current_rows(session: Session, scopes: Iterable[str]) -> list[Rate]:
    """Rows in force (not superseded) for the given scopes, by code, scope and date."""
    query = (
        select(Rate)
        .where(Rate.superseded_at.is_(None), Rate.scope.in_(list(scopes)))
        .order_by(Rate.code, Rate.scope, Rate.valid_from)
    )
    return list(session.scalars(query))


def rows_for(session: Session, code: str, scope: str) -> list[Rate]:
    query = (
        select(Rate)
        .where(Rate.code == code, Rate.scope == scope, Rate.superseded_at.is_(None))
        .order_by(Rate.valid_from)
    )
    return list(session.scalars(query))


def search_rates(
    session: Session,
    *,
    after_id: int = 0,
    limit: int = 50,
    code: str | None = None,
    scope: str | None = None,
    on: date | None = None,
    include_superseded: bool = False,
) -> list[Rate]:
    query = select(Rate).where(Rate.id > after_id).order_by(Rate.id).limit(limit)
    if code:
        query = query.where(Rate.code.startswith(code, autoescape=True))
    if scope:
        query = query.where(Rate.scope == scope)
    if on:
        query = query.where(Rate.valid_from <= on, or_(Rate.valid_to.is_(None), Rate.valid_to >= on))
    if not include_superseded:
        query = query.where(Rate.superseded_at.is_(None))
    return list(session.scalars(query))
