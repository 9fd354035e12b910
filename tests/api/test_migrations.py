"""Models and migrations agree: Alembic's autogenerate finds nothing to change on a database
migrated to head (a model changed without its migration, or the reverse, fails here)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from api.models import metadata


def _include(obj, name, type_, reflected, compare_to) -> bool:
    # The same filter as api/migrations/env.py: PostGIS's own tables are not ours.
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def test_the_migrated_database_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        drift = compare_metadata(context, metadata)
    assert drift == [], "models and migrations disagree; write a migration for:\n" + "\n".join(
        map(str, drift)
    )


def test_the_check_sees_a_column_the_migrations_lack(engine):
    """The comparison above can fail: a column added to a model only is reported."""
    import sqlalchemy as sa

    from gis.models import BoundarySet

    extra = sa.Column("not_migrated", sa.Integer)
    BoundarySet.__table__.append_column(extra)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": _include}
            )
            drift = compare_metadata(context, metadata)
    finally:
        BoundarySet.__table__._columns.remove(extra)
    assert [d[0] for d in drift] == ["add_column"]
    assert drift[0][3].name == "not_migrated"


def test_the_quick_head_is_alembics_head(database_url):
    """`shuxin` commands check the schema without importing Alembic; the head they read from the
    migration files is the one Alembic upgrades to."""
    from alembic.script import ScriptDirectory

    from api.migrate import alembic_config, head_revision, pending

    assert (
        head_revision()
        == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    )
    assert pending(database_url) == (head_revision(), head_revision())
