"""Fixtures of the API tests shared by several modules: the indicator world (320 events)."""

from tests.api.indicator_world import app_client_on, w, world  # noqa: F401
