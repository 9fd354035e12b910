"""Apply Alembic migrations from code, and tell whether a database is up to date.

`pending` answers without importing Alembic (every command asks it before it runs): the head
revision is read from the migration files' `revision`/`down_revision` lines, and the database's
from its `alembic_version` table. A test checks that this head is Alembic's own.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision): [^=]+= (None|"([^"]+)")', re.MULTILINE)


def alembic_config(url: str):
    """Alembic's configuration for the database at `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every migration not yet applied to the database at `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The revision no migration builds on: the one `upgrade` ends at."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((kind, value) for kind, _, value in _REVISION.findall(path.read_text()))
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads ({sorted(heads)}); merge them")
    return heads.pop()


def pending(url: str) -> tuple[str | None, str]:
    """(current revision, head revision) of the database at `url`."""
    import psycopg2

    from api.embedded_pg import libpq_url

    with psycopg2.connect(libpq_url(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        migrated = cursor.fetchone()[0]
        current = None
        if migrated:
            cursor.execute("SELECT version_num FROM alembic_version")
            row = cursor.fetchone()
            current = row[0] if row else None
    connection.close()
    return current, head_revision()
