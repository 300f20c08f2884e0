"""Images for the photo tests, made here with Pillow (no binary files in the repository).

`camera_jpeg` is what a phone sends: EXIF with a GPS position, the camera's make and
serial number and an orientation tag, plus a JPEG comment. Its top-left quarter is
blue, the rest red, so a test can tell whether the orientation was applied.
"""

import struct
import zlib
from io import BytesIO

from PIL import ExifTags, Image, ImageDraw

BLUE = (0, 0, 255)
RED = (220, 0, 0)
GPS_POSITION = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (59.0, 54.0, 50.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (10.0, 45.0, 8.0),
}
SECRET_COMMENT = b"Hjemme hos Ola, Storgata 1"


def camera_jpeg(width: int = 800, height: int = 400, *, orientation: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (0, 0, width // 2, height // 2))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Telefonmerke"
    exif[ExifTags.Base.BodySerialNumber] = "SN-123456"
    exif[ExifTags.IFD.GPSInfo] = GPS_POSITION
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, comment=SECRET_COMMENT, quality=95)
    return out.getvalue()


def png(width: int = 300, height: int = 200, *, color: tuple[int, ...] = BLUE) -> bytes:
    mode = "RGBA" if len(color) == 4 else "RGB"
    out = BytesIO()
    Image.new(mode, (width, height), color).save(out, "PNG")
    return out.getvalue()


def webp(width: int = 300, height: int = 200) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), RED).save(out, "WEBP")
    return out.getvalue()


def gif(width: int = 40, height: int = 40) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), RED).save(out, "GIF")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header declares `width` × `height` pixels, in a few dozen bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def flat_png(width: int, height: int) -> bytes:
    """A real, decodable, one-colour PNG: many pixels in few bytes."""
    out = BytesIO()
    Image.new("L", (width, height), 128).save(out, "PNG", optimize=True)
    return out.getvalue()


def portrait_jpeg(width: int = 900, height: int = 1200) -> bytes:
    """Something like a portrait for the screenshots: a head and shoulders on a wall,
    taken with the camera on its side (EXIF orientation 8) and a GPS position."""
    image = Image.new("RGB", (width, height), (196, 214, 228))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.1, height * 0.62, width * 0.9, height * 1.3), fill=(46, 90, 136))
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.6), fill=(233, 190, 160))
    draw.pieslice(
        (width * 0.28, height * 0.16, width * 0.72, height * 0.5), 180, 360, fill=(92, 60, 40)
    )
    turned = image.transpose(Image.Transpose.ROTATE_270)  # as the sensor saw it
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    exif[ExifTags.IFD.GPSInfo] = GPS_POSITION
    out = BytesIO()
    turned.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


TEXT_FILE = b"Dette er ikke et bilde, bare tekst som later som om den er foto.jpg\n"


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image
