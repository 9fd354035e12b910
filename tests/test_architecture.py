"""The house's shape: imports go api → gis, api → map_ui, map_ui → gis, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        if "assets" in path.parts:
            continue  # build scripts, not the package
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("gis", {"api", "map_ui", "fastapi", "starlette", "folium", "branca", "uvicorn"}),
        ("map_ui", {"api", "sqlalchemy", "geoalchemy2", "psycopg2", "fastapi"}),
    ],
)
def test_imports_go_one_way(package, forbidden):
    offenders = {
        path: sorted(names & forbidden)
        for path, names in _imports(package).items()
        if names & forbidden
    }
    assert offenders == {}
