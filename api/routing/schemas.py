"""A routing answer as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gis.router import RouteResult


class AreaRef(BaseModel):
    code: str
    name: str | None


class RouteOut(BaseModel):
    method: str = Field(description="inside, border, nearest or unrouted")
    grid: AreaRef | None
    village: AreaRef | None
    township: AreaRef | None
    distance_m: float | None = Field(description="Distance to the grid (nearest); 0 inside.")
    candidates: list[str] = Field(description="Every grid covering the point (border).")
    boundary_set: str | None
    lon: float = Field(description="WGS84 longitude routed")
    lat: float = Field(description="WGS84 latitude routed")
    explanation: str

    @classmethod
    def from_result(cls, result: RouteResult) -> RouteOut:
        def ref(code: str | None, name: str | None) -> AreaRef | None:
            return AreaRef(code=code, name=name) if code else None

        return cls(
            method=result.method.value,
            grid=ref(result.grid_code, result.grid_name),
            village=ref(result.village_code, result.village_name),
            township=ref(result.township_code, result.township_name),
            distance_m=result.distance_m,
            candidates=list(result.candidates),
            boundary_set=result.set_name,
            lon=result.lon,
            lat=result.lat,
            explanation=describe(result),
        )


def describe(result: RouteResult) -> str:
    """One sentence saying where a point was routed and how, for people."""
    grid = f"{result.grid_name} ({result.grid_code})" if result.grid_code else None
    match result.method:
        case "inside":
            return f"inside grid {grid}"
        case "border":
            others = ", ".join(result.candidates)
            return f"on the border of grids {others}: the lowest code, {result.grid_code}, takes it"
        case "nearest":
            return f"outside every grid, {result.distance_m:.1f} m from grid {grid}"
        case _:
            return "outside every grid and farther than the tolerance from any: needs a person"
