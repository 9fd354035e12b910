"""Sign-in that resists guessing, passwords that resist guessing, sessions that end."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from api.audit.models import AuditAction, AuditEntry
from api.users.service import create_user
from tests.conftest import TEST_PASSWORD, sign_in

TOKEN = "/api/v1/auth/token"


def _try(client, login: str, password: str):
    return client.post(TOKEN, data={"username": login, "password": password})


def test_five_wrong_passwords_lock_the_login_and_say_until_when(app_client, make_user, session):
    make_user("si-zhang", "admin")
    for attempt in range(4):
        assert _try(app_client, "si-zhang", f"wrong-{attempt}").status_code == 401
    fifth = _try(app_client, "si-zhang", "wrong-5")
    assert fifth.status_code == 429
    assert int(fifth.headers["Retry-After"]) == 15 * 60
    assert fifth.json()["error"] == "too_many_attempts"
    # Locked: even the right password is refused, without being looked at.
    right = _try(app_client, "si-zhang", TEST_PASSWORD)
    assert right.status_code == 429 and 0 < int(right.headers["Retry-After"]) <= 900
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.login == "si-zhang").order_by(AuditEntry.id)
    ).all()
    assert actions == [AuditAction.sign_in_failed] * 4 + [AuditAction.sign_in_locked]


def test_the_sign_in_page_is_throttled_too(app_client, make_user):
    make_user("si-page", "admin")
    for attempt in range(4):
        page = app_client.post("/login", data={"username": "si-page", "password": f"x{attempt}"})
        assert page.status_code == 401 and "账号或密码错误" in page.text
    locked = app_client.post("/login", data={"username": "si-page", "password": "x5"})
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert "分钟后再试" in locked.text or "锁定" in locked.text


def test_one_address_guessing_many_logins_is_locked(app_client, make_user, monkeypatch):
    from api.settings import get_settings

    monkeypatch.setattr(get_settings(), "sign_in_max_failures_per_address", 3)
    for n in range(2):
        assert _try(app_client, f"nobody-{n}", "guess-guess").status_code == 401
    assert _try(app_client, "nobody-3", "guess-guess").status_code == 429
    make_user("si-other", "admin")  # a right password from that address: still locked
    assert _try(app_client, "si-other", TEST_PASSWORD).status_code == 429


def test_a_right_sign_in_forgets_the_failures_of_its_login(app_client, make_user):
    make_user("si-forget", "admin")
    for _ in range(4):
        _try(app_client, "si-forget", "wrong-wrong")
    assert _try(app_client, "si-forget", TEST_PASSWORD).status_code == 200
    for _ in range(4):  # four more do not lock: the count started again
        assert _try(app_client, "si-forget", "wrong-wrong").status_code == 401


def test_unknown_and_known_logins_cost_the_same_work(app_client, make_user, monkeypatch):
    """An unknown login is checked against a dummy hash with today's cost, so the answer takes
    as long as for a known one (counted in scrypt calls and their cost, not in seconds)."""
    calls = []
    real = hashlib.scrypt

    def counting(password, **kw):
        calls.append((kw["n"], kw["r"], kw["p"]))
        return real(password, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    make_user("si-known", "admin")
    _try(app_client, "si-known", "wrong-wrong")
    known = list(calls)
    calls.clear()
    _try(app_client, "si-nobody", "wrong-wrong")
    assert calls == known == [(2**15, 8, 3)]


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "at least 10 characters"),
        ("si-rules-2026", "must not contain the login"),
        ("1234567890", "common password"),
        ("qwertyuiop", "common password"),
    ],
)
def test_passwords_that_are_easy_to_guess_are_refused(session, password, why):
    from api.errors import InvalidInput

    with pytest.raises(InvalidInput, match=why):
        create_user(session=session, login="si-rules", role="admin", unit_code=None,
                    password=password)  # fmt: skip


def test_a_generated_password_must_be_changed_before_anything_else(app_client, session):
    user, password = create_user(session=session, login="si-new", role="admin", unit_code=None)
    assert user.must_change_password
    headers = sign_in(app_client, "si-new", password)
    refused = app_client.get("/api/v1/events", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"] == "password_change_required"
    assert app_client.get("/api/v1/me", headers=headers).json()["must_change_password"] is True
    weak = app_client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": password, "new_password": "password12"},
    )
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"
    changed = app_client.post(
        "/api/v1/auth/password", headers=headers,
        json={"current_password": password, "new_password": "河边柳树-2026-春"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert app_client.get("/api/v1/events", headers=fresh).status_code == 200
    # The token of before the change is void.
    assert app_client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_pages_send_a_must_change_user_to_the_password_page(app_client, session):
    _, password = create_user(session=session, login="si-page2", role="admin", unit_code=None)
    signed = app_client.post(
        "/login", data={"username": "si-page2", "password": password, "next": "/screen"},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.status_code == 303
    assert signed.headers["location"] == "/password?next=/screen"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    screen = app_client.get("/screen", follow_redirects=False)
    assert screen.status_code == 303 and screen.headers["location"].startswith("/password")


# --- sessions that end ---------------------------------------------------------------------------


def test_logout_ends_that_sign_in_at_once(app_client, make_user):
    make_user("se-out", "admin")
    first, second = sign_in(app_client, "se-out"), sign_in(app_client, "se-out")
    assert app_client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert app_client.get("/api/v1/me", headers=first).status_code == 401
    assert app_client.get("/api/v1/me", headers=second).status_code == 200  # another device


def test_disabling_a_user_ends_every_sign_in_at_once(app_client, make_user, session):
    from api.users.service import disable_user

    make_user("se-off", "admin")
    headers = sign_in(app_client, "se-off")
    assert app_client.get("/api/v1/me", headers=headers).status_code == 200  # now cached
    disable_user(session=session, login="se-off", by=None)
    assert app_client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_renewed_token_keeps_the_session_and_ends_with_it(app_client, make_user):
    make_user("se-renew", "admin")
    headers = sign_in(app_client, "se-renew")
    renewed = app_client.post("/api/v1/auth/refresh", headers=headers)
    assert renewed.status_code == 200
    again = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    app_client.post("/api/v1/auth/logout", headers=again)
    assert app_client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_revocation_reaches_another_process_at_once(live_server, database_url, shuxin):
    """The live server is another process: a user disabled by `shuxin users disable` (a third
    process) is refused by it on the very next request (PostgreSQL's NOTIFY)."""
    import httpx
    from sqlalchemy import create_engine

    login = "se-remote"
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM user_account WHERE login = :l"), {"l": login})
    created = shuxin("users", "create", login, "--role", "admin", "--password",
                     "远方的河流-2026")  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = httpx.post(f"{live_server}{TOKEN}",
                       data={"username": login, "password": "远方的河流-2026"}).json()  # fmt: skip
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for _ in range(3):  # known, and cached, by the server
        assert httpx.get(f"{live_server}/api/v1/me", headers=headers).status_code == 200
    assert shuxin("users", "disable", login).returncode == 0
    assert httpx.get(f"{live_server}/api/v1/me", headers=headers).status_code == 401
    listed = shuxin("users", "list")
    row = next(line for line in listed.stdout.splitlines() if login in line)
    assert [cell.strip() for cell in row.split("│")][1:6] == [login, login, "admin", "", "no"]
    audit = shuxin("audit", "--since", "2000-01-01", "--login", login)
    assert "sign_in" in audit.stdout
    with engine.begin() as connection:
        assert connection.scalar(text("SELECT active FROM user_account WHERE login = :l"),
                                 {"l": login}) is False  # fmt: skip
    engine.dispose()
