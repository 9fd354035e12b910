"""`shuxin users`, `shuxin categories load`, `shuxin units list` and `shuxin sweep`, run for real
as subprocesses against the committed test database (after the demo made its units).

The commands commit: users get logins of their own (never reused), events made here stay
(timelines are append-only), and the category catalog is loaded back to the default after a
test that changes it.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.categories.service import DEFAULT_CATALOG

REPO = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAIN = "330825001"  # 龙洲街道, the demo's main township
COMMAND_ROOM = f"{MAIN}-ZHS"


@pytest.fixture(autouse=True)
def _demo(demo_loaded):
    """These commands work on the Longyou demo (units, users, events)."""


def output(result: subprocess.CompletedProcess) -> str:
    """stdout and stderr together, lines unwrapped (rich may wrap long messages)."""
    return " ".join((result.stdout + "\n" + result.stderr).split())


def new_login() -> str:
    return f"t-cli-{uuid.uuid4().hex[:10]}"


def users_named(engine, login: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            text("SELECT count(*) FROM user_account WHERE login = :l"), {"l": login}
        )


def sign_in(base: str, login: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/auth/token", data={"username": login, "password": password}, timeout=30
    )


# --- shuxin users create ------------------------------------------------------------------------


def test_a_created_commander_signs_in_with_the_printed_password(shuxin, live_server):
    login = new_login()

    result = shuxin("users", "create", login, "--role", "commander", "--unit", COMMAND_ROOM)

    assert result.returncode == 0, output(result)
    assert f"Created {login} (commander, {COMMAND_ROOM})." in result.stdout
    password = re.search(r"^Password: (\S+)  \(give it to the user", result.stdout, re.M)
    assert password, result.stdout
    answer = sign_in(live_server, login, password[1])
    assert answer.status_code == 200, answer.text
    user = answer.json()["user"]
    assert (user["login"], user["role"]) == (login, "commander")
    assert user["unit"]["code"] == COMMAND_ROOM
    assert user["unit"]["kind"] == "command_room"
    assert sign_in(live_server, login, password[1] + "x").status_code == 401


def test_a_given_password_is_used_and_not_printed(shuxin, live_server):
    login = new_login()

    result = shuxin(
        "users",
        "create",
        login,
        "--role",
        "handler",
        "--unit",
        f"{MAIN}-zhifa",
        "--password",
        "long-enough-1",
        "--name",
        "测试执法员",
    )

    assert result.returncode == 0, output(result)
    assert "Password" not in result.stdout
    answer = sign_in(live_server, login, "long-enough-1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["display_name"] == "测试执法员"


def _first_grid(engine) -> str:
    with engine.connect() as connection:
        return connection.scalar(
            text("SELECT code FROM unit WHERE kind = 'grid' AND township_code = :t ORDER BY code"),
            {"t": MAIN},
        )


@pytest.mark.parametrize(
    ("role", "unit", "extra", "message"),
    [
        (
            "commander",
            "GRID",
            [],
            "a commander belongs to a unit of kind command_room; GRID is a grid",
        ),
        ("grid_worker", COMMAND_ROOM, [], "a grid_worker belongs to a unit of kind grid, village"),
        ("county", f"{MAIN}-zhifa", [], "a county belongs to a unit of kind county_center"),
        ("commander", f"{MAIN}9-ZHS", [], f"there is no unit '{MAIN}9-ZHS'"),
        ("handler", None, [], "a handler belongs to a unit: give --unit CODE"),
        (
            "commander",
            COMMAND_ROOM,
            ["--password", "short"],
            "a password has at least 10 characters",
        ),
    ],
)
def test_a_user_that_does_not_fit_is_refused(shuxin, engine, role, unit, extra, message):
    login = new_login()
    grid = _first_grid(engine)
    unit_args = ["--unit", unit.replace("GRID", grid)] if unit else []

    result = shuxin("users", "create", login, "--role", role, *unit_args, *extra)

    assert result.returncode != 0
    assert message.replace("GRID", grid) in output(result)
    assert "Traceback" not in result.stderr
    assert users_named(engine, login) == 0


def test_a_duplicate_login_is_refused(shuxin, engine):
    login = new_login()
    first = shuxin("users", "create", login, "--role", "viewer", "--unit", COMMAND_ROOM)
    assert first.returncode == 0, output(first)

    again = shuxin("users", "create", login, "--role", "commander", "--unit", COMMAND_ROOM)

    assert again.returncode != 0
    assert f"a user '{login}' already exists" in output(again)
    assert users_named(engine, login) == 1
    with engine.connect() as connection:
        role = connection.scalar(
            text("SELECT role FROM user_account WHERE login = :l"), {"l": login}
        )
    assert role == "viewer"


def test_an_unknown_role_is_a_usage_error(shuxin, engine):
    login = new_login()

    result = shuxin("users", "create", login, "--role", "boss", "--unit", COMMAND_ROOM)

    assert result.returncode == 2
    assert "'boss' is not one of" in output(result)
    assert users_named(engine, login) == 0


# --- shuxin categories load ---------------------------------------------------------------------


def catalog_rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT code, name, parent_code, platform_code, urgencies, acknowledge_limit, "
                "handle_limit, urgent_handle_limit, active FROM category ORDER BY code"
            )
        ).all()


@pytest.fixture
def default_lines() -> list[str]:
    return DEFAULT_CATALOG.read_text(encoding="utf-8").splitlines()


def line_of(lines: list[str], code: str) -> int:
    """The 1-based line of the row with this code in the file."""
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(f"{code},"))


def edited(lines: list[str], code: str, change) -> list[str]:
    """The lines with the row of `code` passed through change(fields) -> fields."""
    at = line_of(lines, code) - 1
    fields = lines[at].split(",")
    return lines[:at] + [",".join(change(fields))] + lines[at + 1 :]


@pytest.fixture
def restore_catalog(engine):
    """Load the default catalog back at the end (other tests expect its names)."""
    from api.categories.service import load_catalog

    yield
    with Session(engine) as session:
        load_catalog(session=session)
        session.commit()


def test_a_bad_catalog_is_refused_naming_each_row_and_nothing_changes(
    shuxin, engine, live_server, live_admin_headers, default_lines, tmp_path
):
    def platform(fields):
        return fields[:3] + ["chengguan"] + fields[4:]

    def limit(fields):
        return fields[:6] + ["4x"] + fields[7:]

    lines = edited(edited(default_lines, "0105", platform), "0203", limit)
    duplicate = next(line for line in default_lines if line.startswith("0102,"))
    lines.append(duplicate.replace("暴露垃圾", "暴露垃圾（重复）"))
    path = tmp_path / "bad_catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = catalog_rows(engine)
    served = httpx.get(f"{live_server}/api/v1/categories", headers=live_admin_headers).json()

    result = shuxin("categories", "load", path)

    assert result.returncode != 0
    message = output(result)
    assert (
        f"bad_catalog.csv line {line_of(default_lines, '0105')} (0105): platform 'chengguan' "
        "is not one of dangzheng, fuwu, yingji, zhifa, zongzhi"
    ) in message
    assert (
        f"bad_catalog.csv line {line_of(default_lines, '0203')} (0203): handle_limit '4x' "
        "must look like 4wh (working hours), 7wd (working days) or 2h (natural hours)"
    ) in message
    assert (
        f"bad_catalog.csv line {line_of(default_lines, '0102')} (0102): code appears more than once"
    ) in message
    assert f"bad_catalog.csv line {len(lines)} (0102): code appears more than once" in message
    assert "Nothing was changed." in message
    assert catalog_rows(engine) == before
    again = httpx.get(f"{live_server}/api/v1/categories", headers=live_admin_headers).json()
    assert again == served


def test_a_row_with_an_unquoted_comma_is_refused_naming_its_line(
    shuxin, engine, default_lines, tmp_path
):
    lines = edited(default_lines, "0105", lambda f: f[:1] + ["绿地保洁", "公园"] + f[2:])
    path = tmp_path / "comma.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = catalog_rows(engine)

    result = shuxin("categories", "load", path)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"comma.csv line {line_of(default_lines, '0105')}: 9 values for 8 columns" in output(
        result
    )
    assert catalog_rows(engine) == before


def test_a_catalog_without_rows_does_not_deactivate_everything(
    shuxin, engine, default_lines, tmp_path
):
    header = next(line for line in default_lines if line.startswith("code,"))
    path = tmp_path / "empty.csv"
    path.write_text(header + "\n", encoding="utf-8")
    before = catalog_rows(engine)

    result = shuxin("categories", "load", path)

    assert result.returncode != 0
    assert "empty.csv has no categories" in output(result)
    assert catalog_rows(engine) == before


def test_a_missing_file_is_named(shuxin, tmp_path):
    result = shuxin("categories", "load", tmp_path / "nowhere.csv")

    assert result.returncode != 0
    assert "nowhere.csv does not exist" in output(result)


def test_an_edited_catalog_is_loaded_and_served(
    shuxin, engine, live_server, live_admin_headers, default_lines, restore_catalog, tmp_path
):
    new_name = f"横幅标语-{uuid.uuid4().hex[:6]}"
    lines = edited(default_lines, "0203", lambda f: f[:1] + [new_name] + f[2:])
    path = tmp_path / "my_catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = {row.code: row for row in catalog_rows(engine)}
    codes = sum(1 for line in default_lines if re.match(r"^\d{2,5},", line))

    result = shuxin("categories", "load", path)

    assert result.returncode == 0, output(result)
    assert f"Loaded {codes} categories and 5 platforms; 0 deactivated." in result.stdout
    after = {row.code: row for row in catalog_rows(engine)}
    assert after["0203"].name == new_name
    assert {c: r for c, r in after.items() if c != "0203"} == {
        c: r for c, r in before.items() if c != "0203"
    }
    served = httpx.get(f"{live_server}/api/v1/categories", headers=live_admin_headers).json()
    assert {c["code"]: c["name"] for c in served}["0203"] == new_name


# --- shuxin units list --------------------------------------------------------------------------


def test_units_of_a_township_list_its_command_room(shuxin, engine):
    result = shuxin("units", "list", "--township", MAIN)

    assert result.returncode == 0, output(result)
    row = next(line for line in result.stdout.splitlines() if COMMAND_ROOM in line)
    assert "龙洲街道综合信息指挥室" in row
    assert "command_room" in row
    with engine.connect() as connection:
        total = connection.scalar(
            text("SELECT count(*) FROM unit WHERE township_code = :t AND active"), {"t": MAIN}
        )
    assert f"\n{total} units\n" in result.stdout
    assert "330825002" not in result.stdout  # another township


def test_units_of_one_kind(shuxin):
    result = shuxin("units", "list", "--kind", "command_room", "--township", MAIN)

    assert result.returncode == 0, output(result)
    assert result.stdout.rstrip().endswith("1 units")
    assert COMMAND_ROOM in result.stdout


# --- shuxin sweep -------------------------------------------------------------------------------


def committed_overdue_event(engine) -> int:
    """A 0102 event in 龙洲街道, assigned on 5 January 2026 at 09:00 (due that day), committed."""
    from api.demo.people import admin_actor
    from api.events import schemas as s
    from api.events.models import Event
    from api.events.service import create_event
    from api.events.transitions import Action
    from api.events.workflow import perform

    def act(session, event_id, action, actor, now, body, **fields):
        version = session.get(Event, event_id).version
        perform(
            session=session,
            event_id=event_id,
            action=action,
            actor=actor,
            now=now,
            body=body(version=version, **fields),
        )

    with Session(engine) as session:
        admin = admin_actor(session)
        lon, lat = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p FROM area a "
                "JOIN boundary_set b ON b.id = a.set_id AND b.is_active "
                "WHERE a.level = 'grid' AND a.code LIKE :t ORDER BY a.code LIMIT 1) x"
            ),
            {"t": f"{MAIN}%"},
        ).one()
        out, _ = create_event(
            session=session,
            data=s.EventIn(
                title="命令行督办测试：垃圾未清运",
                category_code="0102",
                source="hotline",
                lon=lon,
                lat=lat,
                external_id=f"cli-sweep-{uuid.uuid4().hex}",
            ),
            actor=admin,
        )
        monday = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)
        act(session, out.id, Action.accept, admin, monday, s.AcceptBody)
        act(session, out.id, Action.assign, admin, monday, s.AssignBody, lead_unit=f"{MAIN}-zhifa")
        session.commit()
        return out.id


def test_sweep_issues_the_orders_that_are_due_and_says_so(shuxin, engine):
    event_id = committed_overdue_event(engine)

    def orders() -> list:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT s.kind, s.level, u.code FROM supervision s "
                    "JOIN unit u ON u.id = s.unit_id WHERE s.event_id = :id"
                ),
                {"id": event_id},
            ).all()

    assert orders() == []

    result = shuxin("sweep")

    assert result.returncode == 0, output(result)
    said = re.search(
        r"^(\d+) events newly overdue \(supervision orders issued\), (\d+) newly at risk "
        r"\(reminders sent\)\.$",
        result.stdout,
        re.M,
    )
    assert said, result.stdout
    assert int(said[1]) >= 1
    assert orders() == [("order", "yellow", f"{MAIN}-zhifa")]
    with engine.connect() as connection:
        overdue = connection.scalar(
            text("SELECT overdue FROM event WHERE id = :id"), {"id": event_id}
        )
    assert overdue is True

    again = shuxin("sweep")
    assert again.returncode == 0, output(again)
    assert orders() == [("order", "yellow", f"{MAIN}-zhifa")]
