"""The database: which server, the engine, and sessions.

Which server and whether it answers need no SQLAlchemy (commands that only ask it start fast);
the engine and sessions import it when first made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from api.embedded_pg import EmbeddedPostgres, accepts_connections, wait_until_ready
from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


def embedded_cluster(settings: Settings | None = None) -> EmbeddedPostgres:
    """The project-local cluster under $SHUXIN_HOME."""
    settings = settings or get_settings()
    return EmbeddedPostgres(settings.resolved_home, settings.database_name)


def database_url(settings: Settings | None = None) -> str:
    """SQLAlchemy URL of the database: SHUXIN_DATABASE_URL, else the embedded cluster's."""
    settings = settings or get_settings()
    if settings.database_url:
        url = settings.database_url
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg2://" + url[len(prefix) :]
        return url
    return embedded_cluster(settings).url()


def ensure_database(settings: Settings | None = None, *, log=print) -> str:
    """Make the database reachable (starting the embedded cluster if needed); return its URL."""
    settings = settings or get_settings()
    url = database_url(settings)
    if accepts_connections(url):
        return url
    if not settings.database_url:
        embedded_cluster(settings).start(log=log)
    wait_until_ready(url)
    return url


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One pooled engine per URL and process."""
    from sqlalchemy import create_engine

    return create_engine(
        url or database_url(),
        pool_size=10,
        max_overflow=20,
        # No pre-ping: it costs a round trip on every request; connections are recycled
        # hourly, and a dropped one fails one request, which the client retries.
        pool_recycle=3600,
        connect_args={"application_name": "shuxin"},
    )


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@lru_cache(maxsize=1)
def _configured_url() -> str:
    return database_url()


def new_session(url: str | None = None) -> Session:
    """A new session on the configured database (its URL worked out once per process)."""
    return _session_factory(url or _configured_url())()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed once at the end, or rolled back on any error."""
    session = new_session(url)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
