"""A sign-in costs one password check whoever is named: an account without a console password
(every account made over the API) is not told apart from an unknown name by the time taken."""

import time

from payments.context import SYSTEM
from payments.security import login
from payments.security.passwords import burn_time
from payments.security.services import create_user


def _seconds(session, username: str) -> float:
    start = time.perf_counter()
    for _ in range(3):
        assert not login.log_in(session, username, "some wrong password").ok
        session.rollback()
    return (time.perf_counter() - start) / 3


def test_an_account_without_a_password_answers_as_slowly_as_an_unknown_name(session):
    create_user(session, SYSTEM, "chi.api", ["approver"])
    session.commit()
    burn_time("warm the decoy hash")
    unknown, passwordless = _seconds(session, "nobody.here"), _seconds(session, "chi.api")
    # Without the check the account answers in about a millisecond against tens for scrypt.
    assert passwordless > unknown / 3, (
        f"unknown {unknown * 1000:.1f} ms, passwordless {passwordless * 1000:.1f} ms"
    )
