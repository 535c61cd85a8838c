"""The identity-check port: is this person in the national population database as recorded?

The real service (the national population database, CSDLQG về dân cư, reached through a
government integration platform) is not available here; `SandboxIdentityChecker` answers from
a small in-memory register and fixed rules, so tests and the demo run without it.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from payments.registry.names import fold_name

IdentityStatus = Literal["match", "no_match", "deceased"]


@dataclass(frozen=True)
class IdentityResult:
    status: IdentityStatus
    date_of_death: date | None = None


class IdentityUnavailable(Exception):
    """The checker could not answer (network, timeout): nothing is known, try again later."""


class IdentityChecker(Protocol):
    def check(self, citizen_id: str, full_name: str, date_of_birth: date) -> IdentityResult:
        """Compare (citizen ID, name, date of birth) with the register.

        Returns `match`, `no_match` (unknown ID, or name or birth date differ) or `deceased`
        (with the date of death when the register has it). Raises IdentityUnavailable when
        it cannot answer. Names are compared without diacritics or case."""
        ...


@dataclass(frozen=True)
class RegisteredPerson:
    full_name: str
    date_of_birth: date
    date_of_death: date | None = None


@dataclass
class SandboxIdentityChecker:
    """A stand-in register. People added with `register` are checked against what was added.

    Anyone else: an ID whose serial ends in 000 is `deceased`, in 999 is `no_match`, otherwise
    `match`; so a demo with generated IDs gets a predictable mix of results.
    """

    people: dict[str, RegisteredPerson] = field(default_factory=dict)

    def register(self, citizen_id: str, person: RegisteredPerson) -> None:
        self.people[citizen_id] = person

    def check(self, citizen_id: str, full_name: str, date_of_birth: date) -> IdentityResult:
        known = self.people.get(citizen_id)
        if known is None:
            return _by_serial(citizen_id)
        if fold_name(known.full_name) != fold_name(full_name) or known.date_of_birth != date_of_birth:
            return IdentityResult("no_match")
        if known.date_of_death is not None:
            return IdentityResult("deceased", known.date_of_death)
        return IdentityResult("match")


def _by_serial(citizen_id: str) -> IdentityResult:
    if citizen_id.endswith("000"):
        return IdentityResult("deceased")
    if citizen_id.endswith("999"):
        return IdentityResult("no_match")
    return IdentityResult("match")
