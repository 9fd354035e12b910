"""Open311 GeoReport v2 documents, and their XML form (the standard's element names)."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from pydantic import BaseModel

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Endpoint(BaseModel):
    specification: str = SPECIFICATION
    url: str
    changeset: datetime
    type: str = "production"
    formats: list[str] = ["application/json", "text/xml"]


class Discovery(BaseModel):
    changeset: datetime
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(BaseModel):
    """A category (小类) as an Open311 service."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str = "realtime"
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool = True
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(BaseModel):
    """An event as an Open311 service request."""

    service_request_id: str
    status: str  # open | closed
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None
    long: float | None
    media_url: str | None = None


class RequestCreated(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None = None


class Open311ErrorItem(BaseModel):
    code: int
    description: str


# The element a list's items get in XML, by the list's own element name.
_ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        name = _ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, name), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    """`value` (a dict, or a list of items) as the XML document `<root>...</root>`."""
    element = ElementTree.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
        element, encoding="utf-8", xml_declaration=False
    )
