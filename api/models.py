"""Every table of Shuxin, imported once so that Alembic and the tests see the whole schema."""

from api.categories.models import Category, Platform
from api.events.models import Event
from gis.models import Area, Base, BoundarySet

metadata = Base.metadata

__all__ = ["Area", "BoundarySet", "Category", "Event", "Platform", "metadata"]
