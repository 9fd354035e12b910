"""Every table of Shuxin, imported once so that Alembic and the tests see the whole schema."""

from api.assessments.models import Assessment, AssessmentMember, AssessmentRow, AssessmentScheme
from api.attachments.models import Attachment
from api.audit.models import AuditEntry
from api.categories.models import Category, Platform
from api.events.models import Event, ExtensionRequest, Feedback, Rating, Task, TimelineEntry
from api.indicators.models import IndicatorDirty, IndicatorEvent
from api.mode.models import ModeChange
from api.patrols.models import Patrol, PatrolPoint
from api.pois.models import Poi
from api.reviews.models import ReviewNote
from api.supervision.models import Supervision
from api.units.models import Unit
from api.users.models import ApiKey, RevokedSession, SignInFailures, User
from gis.models import Area, Base, BoundarySet

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "Area",
    "Assessment",
    "AssessmentMember",
    "AssessmentRow",
    "AssessmentScheme",
    "Attachment",
    "AuditEntry",
    "BoundarySet",
    "Category",
    "Event",
    "ExtensionRequest",
    "Feedback",
    "IndicatorDirty",
    "IndicatorEvent",
    "ModeChange",
    "Patrol",
    "PatrolPoint",
    "Platform",
    "Poi",
    "Rating",
    "ReviewNote",
    "RevokedSession",
    "SignInFailures",
    "Supervision",
    "Task",
    "TimelineEntry",
    "Unit",
    "User",
    "metadata",
]
