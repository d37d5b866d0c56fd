"""Avatar images: checking and re-encoding uploads, and the default avatar. No HTTP here.

An upload is decoded only by the four decoders we accept, checked for decompression bombs
before its pixels are loaded, verified, then redrawn into a fresh 256x256 WebP: nothing of
the original file (EXIF with GPS, XMP, comments, ICC profiles, extra frames) survives.

Decoding is the one costly step (a 16-megapixel image is ~64 MB as RGBA), so it runs in a
small pool of its own: at most `DECODERS` images are decoded at once per process, a few more
wait, and the rest are refused as `busy` instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
SIZE = 256
# 4096x4096: a phone photo (12 Mpx) passes, and one decode stays near 64 MB as RGBA. Pillow's
# own guard (MAX_IMAGE_PIXELS: a warning above ~89 Mpx, an error above twice that) is far too
# generous for an avatar; everything it would warn about is refused here too, on the header,
# before any pixel is decoded.
MAX_PIXELS = 4096 * 4096
# Images decoded at once per process, and uploads allowed to wait for a decoder; beyond that
# an upload is refused (`busy`, 503) rather than queued: 8 bombs at once took 2 GB before.
DECODERS = 2
MAX_WAITING = 4
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
WEBP_QUALITY = 85


class AvatarError(Exception):
    """An upload we refuse; `code`, the message and `details` (a `reason` for
    `invalid_image`: format, empty, damaged, undecodable) go to the client."""

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Encoded:
    data: bytes
    etag: str
    content_type: str


def etag_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_INVALID = {
    "format": "the file is not a JPEG, PNG, WebP or GIF image",
    "empty": "the image is empty",
    "damaged": "the image is damaged",
    "undecodable": "the image could not be decoded",
}


def _invalid(reason: str = "format") -> AvatarError:
    return AvatarError("invalid_image", _INVALID[reason], reason=reason)


def _too_large() -> AvatarError:
    return AvatarError(
        "image_too_large",
        f"the image has too many pixels (at most {MAX_PIXELS:,} for an avatar)",
        limit=MAX_PIXELS,
    )


def _open(data: bytes) -> Image.Image:
    """Open lazily (header only) and refuse oversized images before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError as exc:
        raise _invalid() from exc
    except Image.DecompressionBombError as exc:
        raise _too_large() from exc
    width, height = image.size  # from the header: nothing is decoded yet
    if width < 1 or height < 1:
        raise _invalid("empty")
    if width * height > MAX_PIXELS:
        raise _too_large()
    return image


def _verify(data: bytes) -> None:
    try:
        _open(data).verify()
    except AvatarError:
        raise
    except Exception as exc:  # Pillow raises many types for a damaged file
        raise _invalid("damaged") from exc


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile before dropping it, so colours stay as shot."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in {"RGB", "RGBA"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted or image


def _first_frame(data: bytes) -> Image.Image:
    image = _open(data)
    if image.format == "JPEG":
        # Let libjpeg decode at a reduced scale: a 40-megapixel photo stays cheap.
        image.draft("RGB", (SIZE * 2, SIZE * 2))
    image.seek(0)  # GIF and animated WebP: the first frame only
    # Phones store rotation in EXIF; apply it now, since the EXIF goes away.
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    return _to_srgb(image)


def encode_upload(data: bytes) -> Encoded:
    """Check an uploaded image and re-encode it as a square, metadata-free WebP."""
    if len(data) > MAX_BYTES:
        raise AvatarError("payload_too_large", "the avatar must be at most 2 MB", limit=MAX_BYTES)
    if not data:
        raise _invalid("empty")
    _verify(data)
    try:
        image = _first_frame(data)  # verify() leaves the image unusable: reopen
        square = ImageOps.fit(image, (SIZE, SIZE), Image.Resampling.LANCZOS)
    except AvatarError:
        raise
    except Exception as exc:
        raise _invalid("undecodable") from exc
    # A fresh image carries no `info` from the original, so nothing rides along.
    clean = Image.new(square.mode, square.size)
    clean.paste(square)
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    encoded = out.getvalue()
    return Encoded(encoded, etag_of(encoded), "image/webp")


_pool = ThreadPoolExecutor(max_workers=DECODERS, thread_name_prefix="avatar-decode")
_admitted = 0  # uploads decoding or waiting for a decoder, in this process
_admitted_lock = threading.Lock()  # several event loops (tests, workers) may share the pool


def _release(_: Future[Encoded]) -> None:
    global _admitted
    with _admitted_lock:
        _admitted -= 1


async def encode_in_pool(read: Callable[[], bytes]) -> Encoded:
    """`encode_upload(read())` in the bounded decoding pool, or `busy` when it is full.

    A slot is given back when the work itself ends, not when the caller stops waiting: a client
    that disconnects mid-upload cannot free a slot while its image is still being decoded.
    """
    global _admitted
    with _admitted_lock:
        if _admitted >= DECODERS + MAX_WAITING:
            raise AvatarError("busy", "too many avatars are being processed; try again shortly")
        _admitted += 1
    try:
        job = _pool.submit(lambda: encode_upload(read()))
    except BaseException:
        with _admitted_lock:
            _admitted -= 1
        raise
    job.add_done_callback(_release)
    return await asyncio.wrap_future(job)


# --- the default avatar ------------------------------------------------------------------


def initials(name: str) -> str:
    """One or two letters: the first of each of the first two words, else the first one."""
    words = [w for w in re.split(r"[\W_]+", name) if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[1][0]).upper()


def _color(name: str) -> str:
    """A hue from the name; saturation and lightness fixed so white text stays readable."""
    hue = int.from_bytes(hashlib.sha256(name.encode()).digest()[:2], "big") / 65535
    red, green, blue = colorsys.hls_to_rgb(hue, 0.38, 0.55)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def default_avatar(username: str) -> Encoded:
    """The same SVG for the same username: initials on a colour derived from a hash."""
    text = escape(initials(username))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{_color(username)}"/>'
        f'<text x="50%" y="50%" dy=".35em" text-anchor="middle" fill="#ffffff" '
        f'font-family="system-ui, sans-serif" font-size="112" font-weight="600">{text}</text>'
        "</svg>"
    ).encode()
    return Encoded(svg, etag_of(svg), "image/svg+xml")
