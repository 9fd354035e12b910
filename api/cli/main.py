"""The `shuxin` command.

Every subcommand lives in its own module and is imported only when it runs: `shuxin --help`
lists them from the table below without importing any, and `shuxin deadline` or `shuxin route`
load what they need and nothing of the web application.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
import typer
from typer.core import TyperGroup

# name: (module:attribute, its one-line help as `shuxin --help` lists it, click settings).
# tests/api/test_cli.py checks that each line is the command's own first line of help.
COMMANDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "db": ("api.cli.db:app", "The database: start, stop, status, url, migrate.", {}),
    "boundaries": ("api.cli.boundaries:app", "Boundary sets: import, sets, activate.", {}),
    "users": ("api.cli.admin:users", "People who sign in.", {}),
    "units": (
        "api.cli.admin:units",
        "Units: command room, platforms, departments, villages, grids.",
        {},
    ),
    "categories": ("api.cli.admin:categories", "The category catalog.", {}),
    "pois": ("api.cli.admin:pois", "Hazard points and shelters on the map.", {}),
    "audit": (
        "api.cli.audit:audit",
        "Print the access audit log: sign-ins, reveals, exports, user and mode changes, refusals.",
        {},
    ),
    "deadline": (
        "api.cli.worktime:deadline",
        "Print the due time, counting Chinese working time (weekends, holidays, 调休).",
        {},
    ),
    "sweep": (
        "api.cli.admin:sweep",
        "Mark tasks at risk and overdue now, and issue reminders and supervision orders.",
        {},
    ),
    # Negative coordinates (west, south) must not be taken for options.
    "route": (
        "api.cli.routing:route",
        "Route one point to its grid, village and township, and say how.",
        {"ignore_unknown_options": True},
    ),
    "route-file": (
        "api.cli.routing:route_file",
        "Append grid_code, village_code, township_code, routing_method, distance_m to each row.",
        {},
    ),
    "indicators": (
        "api.cli.indicators:indicators",
        "Print the indicators of a period (结案率, 按期处置率 ...) per group.",
        {},
    ),
    "assessments": (
        "api.cli.indicators:assessments",
        "Assessment schemes and assessments.",
        {},
    ),
    "demo": (
        "api.cli.demo:demo",
        "Load the Longyou demo (synthetic boundaries, real names and codes; demo events).",
        {},
    ),
    "serve": (
        "api.cli.demo:serve",
        "Serve the API and the map (starts the database if needed).",
        {},
    ),
}


def load_command(name: str) -> click.Command:
    """Import the subcommand `name` and make it a click command."""
    target, _, settings = COMMANDS[name]
    module, attribute = target.split(":")
    obj = getattr(importlib.import_module(module), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(obj)
    else:
        single = typer.Typer(pretty_exceptions_enable=False)
        single.command(name, context_settings=settings or None)(obj)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A group whose subcommands are imported when they run (or their own help is asked)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        for name, (_, short_help, _settings) in COMMANDS.items():
            self.commands[name] = click.Command(name, help=short_help)
        self._loaded: dict[str, click.Command] = {}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or self._listing:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load_command(cmd_name)
        return self._loaded[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True  # list the commands from the table, importing none
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="shuxin",
    cls=LazyGroup,
    help="Shuxin 舒心: the township command room's boundaries, routing, events and map.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main() -> None:
    """Shuxin 舒心: the township command room's boundaries, routing, events and map."""


if __name__ == "__main__":
    app()
