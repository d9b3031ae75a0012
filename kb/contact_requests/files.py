"""Photos and PDFs a shopper attaches: recognised by their bytes, images rebuilt without their metadata.

The name and the type the browser claims are ignored: a script or an SVG
called ``parcel.jpg`` is neither a JPEG nor a PNG and is refused. Images
are decoded and encoded again from their pixels, turned upright first, so
EXIF (a phone's GPS position), XMP and comments never travel on. A PDF is
kept as sent, unless it carries scripts or embedded files.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask_babel import gettext
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a larger photo is a decompression bomb, not a parcel
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))
FORMATS = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"), "application/pdf": (None, "pdf")}
ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction)\b")


class Refused(ValueError):
    """A file we will not pass on; the message says why, for the shopper."""


@dataclass(frozen=True)
class CleanFile:
    filename: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def clean(upload: FileStorage) -> CleanFile:
    """The file as it will be stored and sent; raises Refused, or RequestEntityTooLarge above 5 MB."""
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    name = upload.filename or "file"
    if len(data) > MAX_FILE_BYTES:
        raise RequestEntityTooLarge(gettext("“%(name)s” is larger than 5 MB. Please send a smaller photo or PDF.",
                                            name=name))
    kind = sniff(data)
    if kind is None:
        raise Refused(gettext("“%(name)s” is not a JPEG or PNG photo or a PDF. Please attach a photo or a PDF.",
                              name=name))
    image_format, extension = FORMATS[kind]
    if image_format:
        data = _rebuilt(data, image_format, name)
    elif ACTIVE_PDF.search(data):
        raise Refused(gettext("“%(name)s” contains scripts or attached files, which we cannot accept. "
                              "Please print it to a new PDF, or send a photo.", name=name))
    stem = secure_filename(name.rsplit(".", 1)[0])[:80] or "file"
    return CleanFile(f"{stem}.{extension}", kind, data)


def _rebuilt(data: bytes, image_format: str, name: str) -> bytes:
    """The image's pixels only, upright, in the format it came in."""
    unreadable = gettext("“%(name)s” could not be read as a photo. Please take it again or send another.",
                         name=name)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Refused(unreadable)
            upright = ImageOps.exif_transpose(image)
            pixels = upright.convert("RGB") if image_format == "JPEG" else upright
            out = io.BytesIO()
            pixels.save(out, image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise Refused(unreadable) from error
    return out.getvalue()
