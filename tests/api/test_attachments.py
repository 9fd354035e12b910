"""Photos of events: checked from their bytes, stored by hash, served only to who may see the
event, and attached to a feedback only when they belong to its event.

In-process on the test's transaction; the `grid_set` squares and the units `sync_units` makes
from them (township 330825100: command room -ZHS, platform -zhifa, department -PCS, grid A).
Photos are written under a temporary SHUXIN_HOME.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib

import pytest
from sqlalchemy import select

from api.attachments.models import Attachment
from api.units.service import sync_units
from tests.conftest import sign_in

TOWNSHIP = "330825100"
GRID_A = "330825100001001"
EVENTS = "/api/v1/events"
LIMIT = 10 * 1024 * 1024  # SHUXIN_UPLOAD_MAX_BYTES, default
PEOPLE = {  # login: (role, unit code)
    "ph-zhs": ("commander", f"{TOWNSHIP}-ZHS"),
    "ph-zhifa": ("handler", f"{TOWNSHIP}-zhifa"),
    "ph-pcs": ("handler", f"{TOWNSHIP}-PCS"),
    "ph-wgy": ("grid_worker", GRID_A),
    "ph-viewer": ("viewer", f"{TOWNSHIP}-ZHS"),
}


def png_1x1() -> bytes:
    """A valid 1x1 grey PNG: signature, IHDR, one zlib-compressed scanline, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def jpeg_1x1() -> bytes:
    """A valid baseline 1x1 grey JPEG: one block whose coefficients are all zero, coded with
    one-symbol Huffman tables (DC category 0, AC end-of-block)."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    one_symbol_table = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_symbol_table)
        + segment(0xC4, b"\x10" + one_symbol_table)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC "0", EOB "0", padded with ones
        + b"\xff\xd9"
    )


# A 1x1 lossless WebP (RIFF size 26: "WEBP" + a 13-byte VP8L chunk + padding).
WEBP_1X1 = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


@pytest.fixture
def media(tmp_path, monkeypatch):
    """SHUXIN_HOME in a temporary directory: photos land in tmp_path/media."""
    from api.settings import get_settings

    monkeypatch.setenv("SHUXIN_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path / "media"
    get_settings.cache_clear()


@pytest.fixture
def people(app_client, session, grid_set, make_user, media) -> dict[str, dict[str, str]]:
    """The township's units and a signed-in user per role: login -> Authorization headers."""
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    headers = {}
    for login, (role, unit) in PEOPLE.items():
        make_user(login, role, unit)
        headers[login] = sign_in(app_client, login)
    return headers


def report(client, headers, **overrides) -> int:
    body = {
        "title": "路边暴露垃圾",
        "category_code": "0102",
        "source": "grid_worker",
        "lon": 119.005,
        "lat": 29.005,
        **overrides,
    }
    answer = client.post(EVENTS, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def upload(client, headers, event_id: int, data: bytes, name: str = "photo.png", **form):
    return client.post(
        f"{EVENTS}/{event_id}/attachments",
        files={"file": (name, data, "image/jpeg")},
        data={"kind": "before", **form},
        headers=headers,
    )


def act(client, headers, event_id: int, action: str, **body):
    version = client.get(f"{EVENTS}/{event_id}", headers=headers).json()["version"]
    return client.post(
        f"{EVENTS}/{event_id}/actions/{action}", json={"version": version, **body}, headers=headers
    )


@pytest.mark.parametrize(
    ("data", "content_type", "suffix"),
    [
        (png_1x1(), "image/png", "png"),
        (jpeg_1x1(), "image/jpeg", "jpg"),
        (WEBP_1X1, "image/webp", "webp"),
    ],
    ids=["png", "jpeg", "webp"],
)
def test_a_photo_is_stored_and_served_as_sent(
    app_client, people, media, data, content_type, suffix
):
    """Stored re-encoded without metadata (the pixels the same), and served as stored."""
    event_id = report(app_client, people["ph-wgy"])
    # Sent under a misleading name and type: the type comes from the bytes.
    answer = upload(app_client, people["ph-wgy"], event_id, data, name="现场.bin")

    assert answer.status_code == 201, answer.text
    photo = answer.json()
    digest = photo["sha256"]
    stored = (media / digest[:2] / f"{digest}.{suffix}").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == digest
    assert photo["size_bytes"] == len(stored)
    assert pixels(stored) == pixels(data)
    assert photo["content_type"] == content_type
    assert (photo["event_id"], photo["kind"], photo["original_name"]) == (
        event_id,
        "before",
        "现场.bin",
    )
    assert photo["url"] == f"/api/v1/attachments/{photo['id']}"

    for login in ("ph-wgy", "ph-zhs", "ph-viewer"):
        served = app_client.get(photo["url"], headers=people[login])
        assert served.status_code == 200, served.text
        assert served.content == stored
        assert served.headers["content-type"] == content_type
        assert served.headers["x-content-type-options"] == "nosniff"
    listed = app_client.get(f"{EVENTS}/{event_id}/attachments", headers=people["ph-zhs"])
    assert [p["id"] for p in listed.json()] == [photo["id"]]


def pixels(data: bytes) -> list:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return list(image.convert("RGB").get_flattened_data())


def test_a_photo_loses_its_gps_position_and_device_but_stays_upright(app_client, people, media):
    """A phone's JPEG carries where it was taken and by which device (EXIF): none of it is kept,
    and a photo the EXIF said to turn is stored turned."""
    from PIL import Image

    image = Image.new("RGB", (40, 20), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 20, 20))  # left half blue
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0110] = "P60 Pro"  # Model
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 1.0, 50.0), 3: "E", 4: (119.0, 10.0, 0.0)})
    sent = io.BytesIO()
    image.save(sent, format="JPEG", exif=exif, quality=95)
    data = sent.getvalue()
    assert b"HUAWEI" in data

    event_id = report(app_client, people["ph-wgy"])
    photo = upload(app_client, people["ph-wgy"], event_id, data).json()
    stored = app_client.get(photo["url"], headers=people["ph-zhs"]).content

    assert b"HUAWEI" not in stored and b"P60 Pro" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert not kept.getexif()
        assert kept.size == (20, 40)  # turned upright
        top = kept.convert("RGB").getpixel((10, 5))
        assert top[2] > 150 and top[0] < 100  # the blue half is now on top


def test_the_same_photo_twice_is_two_attachments_of_one_file(app_client, people, media):
    event_id = report(app_client, people["ph-wgy"])
    first = upload(app_client, people["ph-wgy"], event_id, png_1x1()).json()
    second = upload(app_client, people["ph-wgy"], event_id, png_1x1(), kind="after").json()

    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert (first["kind"], second["kind"]) == ("before", "after")
    assert len(list(media.rglob("*.png"))) == 1
    for photo in (first, second):
        assert app_client.get(photo["url"], headers=people["ph-zhs"]).content == png_1x1()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(app_client, people, session):
    event_id = report(app_client, people["ph-wgy"])
    answer = upload(
        app_client, people["ph-wgy"], event_id, b"just some text, not a photo\n", name="photo.jpg"
    )

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert (problem["error"], problem["field"]) == ("invalid_input", "file")
    assert "not a JPEG, PNG or WebP image" in problem["message"]
    assert "content" in problem["message"]

    answer = upload(app_client, people["ph-wgy"], event_id, png_1x1(), kind="selfie")
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "kind"
    assert session.scalar(select(Attachment.id).where(Attachment.event_id == event_id)) is None


def test_a_photo_over_the_size_limit_is_refused(app_client, people, session):
    event_id = report(app_client, people["ph-wgy"])
    signature = png_1x1()[:8]

    answer = upload(
        app_client, people["ph-wgy"], event_id, signature + bytes(LIMIT + 1 - len(signature))
    )

    assert answer.status_code == 413, answer.text
    problem = answer.json()
    assert (problem["error"], problem["field"]) == ("too_large", "file")
    assert session.scalar(select(Attachment.id).where(Attachment.event_id == event_id)) is None
    # A real photo of exactly the limit is accepted (its padding, a private chunk, is not kept).
    answer = upload(app_client, people["ph-wgy"], event_id, png_padded_to(LIMIT))
    assert answer.status_code == 201, answer.text
    assert answer.json()["size_bytes"] < 1024


def png_padded_to(size: int) -> bytes:
    """png_1x1 grown to `size` bytes by a private ancillary chunk after its header."""
    plain = png_1x1()
    payload = bytes(size - len(plain) - 12)  # a chunk is length, type, data, CRC
    kind = b"prVt"
    chunk = struct.pack(">I", len(payload)) + kind + payload
    chunk += struct.pack(">I", zlib.crc32(kind + payload))
    header_end = 8 + 25  # the signature and the IHDR chunk
    padded = plain[:header_end] + chunk + plain[header_end:]
    assert len(padded) == size
    return padded


def test_who_cannot_see_the_event_cannot_see_its_photos(app_client, people):
    event_id = report(app_client, people["ph-wgy"])
    photo = upload(app_client, people["ph-wgy"], event_id, png_1x1()).json()

    # The police station has no task on the event: the photo does not exist for it.
    served = app_client.get(photo["url"], headers=people["ph-pcs"])
    assert served.status_code == 404, served.text
    assert served.json()["error"] == "not_found"
    assert png_1x1() not in served.content
    listed = app_client.get(f"{EVENTS}/{event_id}/attachments", headers=people["ph-pcs"])
    assert listed.status_code == 404
    added = upload(app_client, people["ph-pcs"], event_id, png_1x1())
    assert added.status_code == 404
    # Nor does an attachment id that was never given out.
    missing = app_client.get(f"/api/v1/attachments/{photo['id'] + 1000}", headers=people["ph-zhs"])
    assert missing.status_code == 404
    # A viewer sees the photo but may not add one.
    assert app_client.get(photo["url"], headers=people["ph-viewer"]).status_code == 200
    added = upload(app_client, people["ph-viewer"], event_id, png_1x1())
    assert added.status_code == 403, added.text
    assert added.json()["field"] == "role"

    # Once the police station has a task on the event, it sees the photo too.
    assert act(app_client, people["ph-zhs"], event_id, "accept").status_code == 200
    assert (
        act(
            app_client,
            people["ph-zhs"],
            event_id,
            "assign",
            lead_unit=f"{TOWNSHIP}-PCS",
        ).status_code
        == 200
    )
    assert app_client.get(photo["url"], headers=people["ph-pcs"]).content == png_1x1()


def test_feedback_takes_only_photos_of_its_own_event(app_client, people):
    zhs, zhifa = people["ph-zhs"], people["ph-zhifa"]
    event_id = report(app_client, people["ph-wgy"])
    other_id = report(app_client, people["ph-wgy"], title="另一处垃圾")
    foreign = upload(app_client, people["ph-wgy"], other_id, png_1x1()).json()["id"]
    for action, body in (("accept", {}), ("assign", {})):
        assert act(app_client, zhs, event_id, action, **body).status_code == 200
    for action in ("acknowledge", "start"):
        assert act(app_client, zhifa, event_id, action).status_code == 200
    own = upload(app_client, zhifa, event_id, jpeg_1x1(), kind="after").json()["id"]
    version = app_client.get(f"{EVENTS}/{event_id}", headers=zhs).json()["version"]

    answer = act(app_client, zhifa, event_id, "feedback", text="已清运", attachment_ids=[foreign])

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert (problem["error"], problem["field"]) == ("invalid_input", "attachment_ids")
    assert str(foreign) in problem["message"]
    event = app_client.get(f"{EVENTS}/{event_id}", headers=zhs).json()
    assert (event["status"], event["version"]) == ("in_progress", version)

    answer = act(
        app_client, zhifa, event_id, "feedback", text="已清运", attachment_ids=[own, foreign]
    )
    assert answer.status_code == 422, answer.text

    answer = act(app_client, zhifa, event_id, "feedback", text="已清运", attachment_ids=[own])
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "handled"
    timeline = app_client.get(f"{EVENTS}/{event_id}/timeline", headers=zhs).json()
    assert (timeline[-1]["action"], timeline[-1]["attachment_ids"]) == ("feedback", [own])
