"""Avatars: uploads are checked and re-encoded (no metadata survives), served with caching."""

from __future__ import annotations

import asyncio
import io
import threading

from PIL import ExifTags, Image
from quart.datastructures import FileStorage

from transcendence.accounts import avatars
from transcendence.accounts.models import Avatar

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    data = image_bytes(Image.new("RGB", (640, 480), RED), "JPEG", exif=exif, quality=90)
    # The fixture really carries a location, or the test below proves nothing.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


async def upload(client, player, data: bytes, filename: str = "me.jpg", field: str = "avatar"):
    files = {field: FileStorage(io.BytesIO(data), filename=filename)}
    return await client.put("/api/me/avatar", files=files, headers=player.headers)


def center(image: Image.Image, x: int = 128, y: int = 128) -> tuple[int, ...]:
    return image.convert("RGB").getpixel((x, y))


def close_to(pixel, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


async def test_photo_is_reencoded_as_square_webp_without_exif(client, make_user):
    alice = await make_user("alice")
    response = await upload(client, alice, photo_with_gps())
    assert response.status_code == 200
    body = await response.get_json()

    row = await Avatar.get(user_id=alice.id)
    stored = Image.open(io.BytesIO(row.data))
    assert stored.format == "WEBP" and stored.size == (256, 256)
    assert len(stored.getexif()) == 0 and "exif" not in stored.info
    assert b"Exif" not in row.data and b"PhoneMaker" not in row.data
    assert close_to(center(stored), RED)

    served = await client.get(body["avatar_url"])
    assert served.status_code == 200 and served.content_type == "image/webp"
    assert await served.get_data() == row.data
    me = await (await client.get("/api/me/", headers=alice.headers)).get_json()
    assert me["avatar_url"] == body["avatar_url"]


async def test_a_phone_photo_is_turned_upright_before_its_exif_goes(client, make_user):
    alice = await make_user("alice")
    picture = Image.new("RGB", (400, 200), RED)
    picture.paste(Image.new("RGB", (200, 200), BLUE), (200, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 3  # stored upside down
    assert (await upload(client, alice, image_bytes(picture, "JPEG", exif=exif))).status_code == 200
    stored = Image.open(io.BytesIO((await Avatar.get(user_id=alice.id)).data))
    assert close_to(center(stored, 40, 128), BLUE) and close_to(center(stored, 216, 128), RED)


async def test_gif_keeps_its_first_frame(client, make_user):
    alice = await make_user("alice")
    frames = [Image.new("RGB", (100, 100), color).convert("P") for color in (RED, BLUE)]
    data = image_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    response = await upload(client, alice, data, "anim.gif")
    assert response.status_code == 200
    stored = Image.open(io.BytesIO((await Avatar.get(user_id=alice.id)).data))
    assert getattr(stored, "n_frames", 1) == 1
    assert close_to(center(stored), RED)


async def test_png_with_transparency_keeps_it(client, make_user):
    alice = await make_user("alice")
    data = image_bytes(Image.new("RGBA", (300, 300), (0, 0, 0, 0)), "PNG")
    assert (await upload(client, alice, data, "clear.png")).status_code == 200
    stored = Image.open(io.BytesIO((await Avatar.get(user_id=alice.id)).data))
    assert stored.convert("RGBA").getpixel((128, 128))[3] == 0


async def test_more_than_2_mb_is_a_413_json_error(client, make_user):
    alice = await make_user("alice")
    for size in (avatars.MAX_BYTES + 1, avatars.MAX_BYTES + 200_000):
        response = await upload(client, alice, b"\xff" * size)
        assert response.status_code == 413
        body = await response.get_json()
        assert body["error"]["code"] == "payload_too_large"
    assert not await Avatar.exists(user_id=alice.id)


async def test_a_text_file_is_a_400_invalid_image(client, make_user):
    alice = await make_user("alice")
    for data, name, reason in (
        (b"hello, I am not a picture\n", "notes.txt", "format"),
        (b"", "empty.png", "empty"),
    ):
        response = await upload(client, alice, data, name)
        assert response.status_code == 400
        error = (await response.get_json())["error"]
        assert error["code"] == "invalid_image"
        # The reason, for the browser to say it in its reader's language.
        assert error["details"] == {"field": "avatar", "reason": reason}


async def test_a_truncated_or_unsupported_image_is_refused(client, make_user):
    alice = await make_user("alice")
    png = image_bytes(Image.new("RGB", (300, 300), RED), "PNG")
    bmp = image_bytes(Image.new("RGB", (30, 30), RED), "BMP")
    for data in (png[: len(png) // 2], bmp):
        response = await upload(client, alice, data)
        assert response.status_code == 400
        assert (await response.get_json())["error"]["code"] == "invalid_image"


async def test_a_decompression_bomb_is_refused_before_decoding(client, make_user, monkeypatch):
    alice = await make_user("alice")
    decoded = []
    monkeypatch.setattr(avatars, "_first_frame", lambda data: decoded.append(data))
    # 6300x6300 (40 megapixels, ~160 MB as RGBA) in a few kilobytes of PNG, and a 48 Mpx one.
    for size in ((6300, 6300), (8000, 6000)):
        bomb = image_bytes(Image.new("1", size), "PNG")
        assert len(bomb) < 100_000
        response = await upload(client, alice, bomb, "bomb.png")
        assert response.status_code == 413
        body = await response.get_json()
        assert body["error"]["code"] == "image_too_large" and "pixels" in body["error"]["message"]
        assert body["error"]["details"] == {"field": "avatar", "limit": avatars.MAX_PIXELS}
    assert decoded == []  # refused from the header: no pixel was ever decoded
    assert not await Avatar.exists(user_id=alice.id)


async def test_a_photo_at_the_pixel_limit_is_accepted(client, make_user):
    alice = await make_user("alice")
    photo = image_bytes(Image.new("RGB", (4096, 4096), RED), "JPEG", quality=50)
    response = await upload(client, alice, photo)
    assert response.status_code == 200


async def test_uploads_beyond_the_decoding_pool_are_refused_as_busy(client, make_user, monkeypatch):
    alice = await make_user("alice")
    release = threading.Event()
    real = avatars.encode_upload
    admitted = avatars.DECODERS + avatars.MAX_WAITING
    started = []

    def held(data: bytes) -> avatars.Encoded:
        started.append(data)
        if len(started) > admitted:
            release.set()  # no bound at all: let every upload through (and the test fail)
        release.wait()  # every decoder stays busy until the refused upload has been answered
        return real(data)

    monkeypatch.setattr(avatars, "encode_upload", held)
    png = image_bytes(Image.new("RGB", (300, 300), BLUE), "PNG")
    uploads = [asyncio.ensure_future(upload(client, alice, png)) for _ in range(admitted + 1)]
    try:
        done, pending = await asyncio.wait(uploads, return_when=asyncio.FIRST_COMPLETED)
        refused = done.pop().result()
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert (await refused.get_json())["error"]["code"] == "busy"
    finally:
        release.set()
    answers = await asyncio.gather(*pending, *done)
    assert [a.status_code for a in answers] == [200] * admitted
    # The slots were given back: the next upload is decoded again.
    assert (await upload(client, alice, png, "b.png")).status_code == 200


async def test_missing_field_is_a_400(client, make_user):
    alice = await make_user("alice")
    response = await upload(client, alice, photo_with_gps(), field="picture")
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "validation_error"


async def test_etag_and_304_and_cache_headers(client, make_user):
    alice = await make_user("alice")
    url = (await (await upload(client, alice, photo_with_gps())).get_json())["avatar_url"]
    first = await client.get(url)
    etag = first.headers["ETag"]
    assert "immutable" in first.headers["Cache-Control"]  # versioned URL: cache forever
    plain = await client.get(f"/api/users/{alice.id}/avatar")
    assert plain.headers["Cache-Control"] == "no-cache" and plain.headers["ETag"] == etag
    again = await client.get(f"/api/users/{alice.id}/avatar", headers={"If-None-Match": etag})
    assert again.status_code == 304 and await again.get_data() == b""

    # A new upload changes the ETag: the old one no longer matches.
    other = image_bytes(Image.new("RGB", (300, 300), BLUE), "PNG")
    new_url = (await (await upload(client, alice, other, "b.png")).get_json())["avatar_url"]
    assert new_url != url
    fresh = await client.get(f"/api/users/{alice.id}/avatar", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag


async def test_default_avatar_for_a_user_without_upload(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob_smith")
    response = await client.get(f"/api/users/{bob.id}/avatar")  # public: no token
    assert response.status_code == 200
    assert response.content_type.startswith("image/svg+xml")
    svg = await response.get_data(as_text=True)
    assert ">BS</text>" in svg
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # Deterministic: the same picture, the same ETag, each time; another user's differs.
    again = await client.get(f"/api/users/{bob.id}/avatar")
    assert await again.get_data(as_text=True) == svg and again.headers["ETag"]
    assert (await client.get(f"/api/users/{alice.id}/avatar")).headers["ETag"] != again.headers[
        "ETag"
    ]
    cached = await client.get(
        f"/api/users/{bob.id}/avatar", headers={"If-None-Match": again.headers["ETag"]}
    )
    assert cached.status_code == 304


async def test_deleting_my_avatar_brings_the_default_back(client, make_user):
    alice = await make_user("alice")
    await upload(client, alice, photo_with_gps())
    assert (await client.delete("/api/me/avatar", headers=alice.headers)).status_code == 204
    response = await client.get(f"/api/users/{alice.id}/avatar")
    assert response.content_type.startswith("image/svg+xml")


async def test_unknown_user_avatar_is_a_404_json(client):
    response = await client.get("/api/users/424242/avatar")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


def test_default_avatar_text_is_only_initials():
    assert avatars.initials("ada_lovelace") == "AL"
    assert avatars.initials("ümit") == "Ü"
    assert avatars.initials("---") == "?"
    svg = avatars.default_avatar("<script>alert(1)</script>").data.decode()
    assert "<script" not in svg and ">SA</text>" in svg
