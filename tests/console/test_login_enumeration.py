"""Signing in tells nobody which usernames exist: a locked account gets the answer an unknown
name gets (the sign-in page says that five failures lock an account for fifteen minutes)."""

from tests.console.support import sign_in


def _error(page: str) -> str:
    return page.split('class="flash error" role="alert">')[1].split("</p>", maxsplit=1)[0]


def test_a_locked_account_is_answered_like_an_unknown_name(client, user):
    name = user("approver")
    for _ in range(5):
        sign_in(client, name, "guess guess guess")
    locked = sign_in(client, name, "guess guess guess")
    unknown = sign_in(client, "nobody.at.all", "guess guess guess")
    assert (locked.status_code, unknown.status_code) == (401, 401)
    assert _error(locked.text) == _error(unknown.text) == "Sai tên đăng nhập hoặc mật khẩu."
