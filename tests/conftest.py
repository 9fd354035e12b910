"""Test fixtures: a real PostGIS database, migrated with Alembic, and a transaction per test.

The database is `shuxin_test_<pid>` (one per run, dropped at its end) in the embedded cluster
under $SHUXIN_HOME (started if needed),
or the server named by SHUXIN_TEST_DATABASE_URL. If it cannot be reached the whole run fails
with the reason: database tests are never skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import shapely
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# One database per test run, dropped at its end: runs in parallel do not disturb each other.
TEST_DB = f"shuxin_test_{os.getpid()}"


_STARTED_CLUSTER = False  # True when this run started the embedded cluster (it stops it too)


def _prepare_database() -> str:
    global _STARTED_CLUSTER
    from api.embedded_pg import EmbeddedPostgres, EmbeddedPostgresError, wait_until_ready

    url = os.environ.get("SHUXIN_TEST_DATABASE_URL")
    try:
        if not url:
            home = Path(os.environ.get("SHUXIN_HOME", REPO / ".shuxin"))
            cluster = EmbeddedPostgres(home)
            _STARTED_CLUSTER = not cluster.status().running
            cluster.start(log=lambda m: print(m, file=sys.stderr))
            cluster.create_database(TEST_DB, drop_first=True)
            url = cluster.url(TEST_DB)
        wait_until_ready(url, timeout_s=30)
    except EmbeddedPostgresError as exc:
        pytest.exit(
            f"The test database is not reachable, so the suite cannot run: {exc}", returncode=3
        )
    return url


def _drop_database() -> None:
    if os.environ.get("SHUXIN_TEST_DATABASE_URL"):
        return
    from api.database import get_engine
    from api.embedded_pg import EmbeddedPostgres

    get_engine.cache_clear()
    cluster = EmbeddedPostgres(Path(os.environ.get("SHUXIN_HOME", REPO / ".shuxin")))
    try:
        cluster.drop_database(TEST_DB)
        if _STARTED_CLUSTER:
            # Leave no server behind a `make test` (an orphaned one outlives its checkout).
            cluster.stop()
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the run's result
        print(f"could not clean up {TEST_DB}: {exc}", file=sys.stderr)


def pytest_unconfigure(config) -> None:
    _drop_database()


DATABASE_URL = _prepare_database()
os.environ["SHUXIN_DATABASE_URL"] = DATABASE_URL
os.environ["SHUXIN_SWEEP_INTERVAL_S"] = "0"  # tests run the sweep themselves, at chosen times
os.environ.setdefault("SHUXIN_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
TEST_PASSWORD = "test-password-1"


@pytest.fixture(scope="session")
def database_url() -> str:
    return DATABASE_URL


@pytest.fixture(scope="session")
def engine(database_url):
    from api.categories.service import ensure_default_catalog
    from api.migrate import upgrade
    from api.settings import get_settings

    get_settings.cache_clear()
    upgrade(database_url)
    engine = create_engine(database_url)
    with Session(engine) as session:
        ensure_default_catalog(session=session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    from api.users.security import hash_password

    return hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(session, password_hash):
    """make_user(login, role, unit_code=None) -> the user, in the test's transaction."""
    from sqlalchemy import select

    from api.units.models import Unit
    from api.users.models import User

    def _make(login: str, role: str, unit_code: str | None = None):
        unit_id = None
        if unit_code is not None:
            unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
            assert unit_id is not None, f"no unit {unit_code}"
        user = User(
            login=login, display_name=login, role=role, unit_id=unit_id, password_hash=password_hash
        )
        session.add(user)
        session.flush()
        return user

    return _make


@pytest.fixture
def app_client(session):
    """The app over HTTP (in-process, not signed in), on the test's own transaction."""
    from fastapi.testclient import TestClient

    from api.deps import Transactions, forget_actors, get_transactions
    from api.main import create_app

    class TestTransactions(Transactions):
        """Work runs in the test's own transaction; an error undoes it (a savepoint), as a
        failed request's rollback would."""

        def run(self, work):
            with session.begin_nested():
                return work(session)

    app = create_app()
    forget_actors()
    transactions = TestTransactions()

    async def _transactions():
        return transactions

    app.dependency_overrides[get_transactions] = _transactions
    with TestClient(app) as test_client:
        yield test_client


def sign_in(client, login: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Sign in through the real token endpoint; the Authorization header to send."""
    answer = client.post("/api/v1/auth/token", data={"username": login, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def bearer(session, login: str) -> dict[str, str]:
    """The Authorization header of a fresh sign-in of `login` (a real token, made as the token
    endpoint makes it, without spending a password check on each of many users)."""
    from sqlalchemy import select

    from api.settings import get_settings
    from api.users.models import User
    from api.users.security import issue_token

    user = session.scalar(select(User).where(User.login == login))
    assert user is not None, f"no user {login}"
    token, _ = issue_token(
        user_id=user.id, role=user.role.value, version=user.token_version, settings=get_settings()
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app_client, make_user):
    """The app, signed in as an administrator (who may see and do everything)."""
    make_user("test-admin", "admin")
    app_client.headers.update(sign_in(app_client, "test-admin"))
    return app_client


@pytest.fixture
def shuxin(engine, database_url):
    """Run `shuxin ARGS...` as a user does (a new process) on the test database; the
    CompletedProcess (stdout and stderr as text)."""
    env = {**os.environ, "SHUXIN_DATABASE_URL": database_url, "NO_COLOR": "1"}

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "api.cli.main", *map(str, args)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


@pytest.fixture
def media_tmp(tmp_path, monkeypatch):
    """SHUXIN_HOME in a temporary directory (photos and keys land there)."""
    from api.settings import get_settings

    monkeypatch.setenv("SHUXIN_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


# --- small hand-made boundaries -----------------------------------------------------------------


def square(x0: float, y0: float, size: float) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(x0, y0, x0 + size, y0 + size)])


@pytest.fixture
def grid_set(session):
    """An active set with one township, one village and three grids near Longyou:
    A (001) and B (002) share the edge lon=119.01; C (003) overlaps B; a hole-free layout:

        A: 119.00-119.01 x 29.00-29.01     B: 119.01-119.02 x 29.00-29.01
        C: 119.015-119.025 x 29.00-29.01 (overlaps B over 119.015-119.02)
    """
    from gis.boundaries import activate_set
    from gis.models import Area, BoundarySet

    boundary_set = BoundarySet(name="test-squares")
    session.add(boundary_set)
    session.flush()
    township = "330825100"
    village = "330825100001"
    shapes = {
        township: ("township", "测试镇", None, square(118.99, 28.99, 0.05)),
        village: ("village", "测试村", township, square(118.995, 28.995, 0.04)),
        f"{village}001": ("grid", "测试村第1网格", village, square(119.00, 29.00, 0.01)),
        f"{village}002": ("grid", "测试村第2网格", village, square(119.01, 29.00, 0.01)),
        f"{village}003": ("grid", "测试村第3网格", village, square(119.015, 29.00, 0.01)),
    }
    from geoalchemy2.shape import from_shape

    for code, (level, name, parent, geom) in shapes.items():
        session.add(
            Area(
                set_id=boundary_set.id,
                level=level,
                code=code,
                name=name,
                parent_code=parent,
                geom=from_shape(geom, srid=4326),
                area_m2=0.0,
            )
        )
    session.flush()
    activate_set(session, "test-squares")
    return boundary_set


@pytest.fixture
def europe_set(session):
    """An active set with one grid where both lon and lat are in [-90, 90], so a swapped point
    is in range and only the router can tell it is swapped: 10.00-10.01 x 50.00-50.01."""
    from geoalchemy2.shape import from_shape

    from gis.boundaries import activate_set
    from gis.models import Area, BoundarySet

    boundary_set = BoundarySet(name="test-europe")
    session.add(boundary_set)
    session.flush()
    grid = shapely.MultiPolygon([shapely.box(10.0, 50.0, 10.01, 50.01)])
    session.add(
        Area(
            set_id=boundary_set.id,
            level="grid",
            code="999999999999001",
            name="Europa 1",
            parent_code=None,
            geom=from_shape(grid, srid=4326),
            area_m2=0.0,
        )
    )
    session.flush()
    activate_set(session, "test-europe")
    return boundary_set


# --- a live server on committed data (for concurrency and the browser) ------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_loaded(engine, database_url):
    """The Longyou demo committed into the test database (boundaries, units, users and 500
    events taken through the closed loop). Demo users sign in with the demo password."""
    from api.demo.service import load_demo

    with Session(engine) as session:
        load_demo(session=session, events=500)
        session.commit()
    return True


@pytest.fixture(scope="session")
def live_admin_headers(live_server) -> dict[str, str]:
    """Signed in as the demo's admin on the live server."""
    from api.demo.people import DEMO_PASSWORD

    answer = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="session")
def live_server(demo_loaded, database_url, tmp_path_factory) -> Iterator[str]:
    """`shuxin serve` in a subprocess on a free port; yields its base URL."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "SHUXIN_DATABASE_URL": database_url, "SHUXIN_PORT": str(port)}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail(f"the server did not start:\n{log_path.read_text()}")
    if process.poll() is not None:
        pytest.fail(f"the server exited:\n{log_path.read_text()}")
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
