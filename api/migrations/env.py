"""Alembic environment: the URL comes from Shuxin's settings (or the caller's config)."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from api.database import database_url
from api.models import metadata

config = context.config


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # PostGIS owns its own tables (spatial_ref_sys, topology ...): never migrate them.
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or database_url()
    connectable = config.attributes.get("connection") or create_engine(url, poolclass=pool.NullPool)
    if hasattr(connectable, "connect") and not hasattr(connectable, "dialect_options"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
