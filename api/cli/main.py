"""The `shuxin` command."""

from __future__ import annotations

import typer

from api.cli import admin, boundaries, db, demo, routing

app = typer.Typer(
    name="shuxin",
    help="Shuxin 舒心: the township command room's boundaries, routing, events and map.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(boundaries.app, name="boundaries")
app.add_typer(admin.users, name="users")
app.add_typer(admin.units, name="units")
app.add_typer(admin.categories, name="categories")
app.add_typer(admin.pois, name="pois")
app.command("deadline")(admin.deadline)
app.command("sweep")(admin.sweep)
# Negative coordinates (west, south) must not be taken for options.
_NUMBERS = {"ignore_unknown_options": True}
app.command("route", context_settings=_NUMBERS)(routing.route)
app.command("route-file")(routing.route_file)
app.command("demo")(demo.demo)
app.command("serve")(demo.serve)

if __name__ == "__main__":
    app()
