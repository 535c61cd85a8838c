"""Who may read the registry, and how its personal data leaves it.

Officers write; officers, approvers, finance staff and auditors read. Citizen ID, legacy ID,
phone and account number are masked in every response unless `?unmask=true`, which only an
officer (who must check documents) or an auditor (who must check the officers) may ask for;
each unmasked read is written to the audit log. Shared by the registry's resources.
"""

from datetime import date

from flask import current_app

from payments.api.auth import current_actor, has_role
from payments.api.session import unit_of_work
from payments.audit.services import record_event
from payments.clock import local_date, utcnow
from payments.errors import Forbidden
from payments.registry.crypto import PiiCipher
from payments.security.roles import Role

READERS = (Role.OFFICER, Role.APPROVER, Role.FINANCE, Role.AUDITOR)


def cipher() -> PiiCipher:
    return PiiCipher.from_settings(current_app.extensions["payments"].settings)


def today() -> date:
    return local_date(utcnow())


def may_unmask(unmask: bool, target_type: str, target_id: int) -> bool:
    """Officer or auditor only; the read itself is audited (without the values)."""
    if not unmask:
        return False
    if not (has_role(Role.OFFICER) or has_role(Role.AUDITOR)):
        raise Forbidden("only an officer or an auditor may see unmasked personal data")
    with unit_of_work() as session:
        record_event(session, current_actor(), "pii.unmasked_read", target_type, target_id)
    return True
