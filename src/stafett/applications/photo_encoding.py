"""A person's photo as we store it: re-encoded by us, whatever was uploaded.

The upload is only ever read by Pillow, restricted to JPEG, PNG and WebP: the type
is what Pillow finds in the bytes, never the content type or the file name. Before
any pixel is decoded the bytes (`MAX_PHOTO_BYTES`) and the pixel count the header
declares (`MAX_PIXELS`, also Pillow's own decompression-bomb limit, set here) are
capped. The image is then scaled down to fit `MAX_SIDE`, turned upright by its EXIF
orientation, converted to sRGB, flattened onto white and drawn into a new image,
which is saved as JPEG: no EXIF (so no GPS position or camera serial), no XMP, no
comment, no colour profile and no second frame of the upload survives. The stored
bytes are always ours. A file Pillow cannot read to the end is refused as broken;
where warnings are errors (the tests), so is one whose EXIF Pillow warns is corrupt,
and elsewhere its orientation is read as far as Pillow could.
"""

import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from stafett.aggregates.errors import Refusal, ValidationError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A 24-megapixel camera photo fits; within 5 MB anything much larger is a flat
# synthetic image (a decompression bomb) whose decoding would only cost memory.
MAX_PIXELS = 25_000_000
MAX_SIDE = 512
JPEG_QUALITY = 85
ACCEPTED = ("JPEG", "PNG", "WEBP")
PHOTO_MEDIA_TYPE = "image/jpeg"
FIELD = "photo"

# EXIF orientation → the turn that shows the picture upright (as `ImageOps.exif_transpose`).
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Pillow warns above this many pixels and refuses above twice as many; we refuse above
# it ourselves before decoding (`_opened`), so Pillow's limit is only the second line.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class _CutOffError(Exception):
    """Pillow asked for bytes after the last one: the upload is cut off."""


class _Upload(BytesIO):
    """The upload as Pillow reads it, refusing to read past its end.

    Pillow itself decodes a cut-off file as far as it goes when the process-wide
    `ImageFile.LOAD_TRUNCATED_IMAGES` is on (any imported library may turn it on;
    WeasyPrint, which the archive once used, did), so whether a damaged upload was
    noticed would depend on what else the process had imported. A read at the end
    raises instead, whatever the flag.
    """

    def read(self, size: int | None = -1, /) -> bytes:
        if size != 0 and self.tell() >= len(self.getbuffer()):
            raise _CutOffError
        return super().read(size)


class PhotoRejectedError(ValidationError):
    """The upload cannot be a photo; nothing was stored. Subclasses say why."""

    def __init__(self, message: str, reason: Refusal) -> None:
        super().__init__(FIELD, message, reason)


class NotAnImageError(PhotoRejectedError):
    """Not a JPEG, PNG or WebP image (whatever its name or content type says)."""

    def __init__(self) -> None:
        super().__init__("is not a JPEG, PNG or WebP image", Refusal.PHOTO_FORMAT)


class PhotoTooLargeError(PhotoRejectedError):
    """More bytes or more pixels than we decode."""


class BrokenImageError(PhotoRejectedError):
    """Starts like an image but cannot be read to the end."""

    def __init__(self) -> None:
        super().__init__("is damaged or incomplete and cannot be read", Refusal.PHOTO_BROKEN)


@dataclass(frozen=True, slots=True)
class Photo:
    """A re-encoded photo: JPEG bytes of our own making, and its size in pixels."""

    data: bytes
    width: int
    height: int
    media_type: str = PHOTO_MEDIA_TYPE


def reencode(upload: bytes) -> Photo:
    """The upload as a stored photo, or a `PhotoRejectedError` saying why it is not one."""
    if len(upload) > MAX_PHOTO_BYTES:
        raise PhotoTooLargeError(
            f"is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB", Refusal.PHOTO_TOO_LARGE
        )
    if not upload:
        raise NotAnImageError()
    image = _opened(upload)
    try:
        with image:
            if image.format == "JPEG":
                # Decode a large JPEG at 1/2, 1/4 or 1/8 scale: far less memory, and
                # still at least twice the size it is scaled down to.
                image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))
            image.load()
            turn = _turn(image)
            # Scaled down first, in the upload's own mode where it can be resampled
            # (a palette cannot), so the other steps work on at most 512 × 512 pixels.
            small = _resamplable(image)
            small.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            if turn is not None:
                small = small.transpose(turn)
            flat = _flattened(_in_srgb(small))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Warning, _CutOffError):
        # (Pillow warns of corrupt EXIF; where warnings are errors, that is a broken file)
        raise BrokenImageError() from None
    out = BytesIO()
    flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(out.getvalue(), flat.width, flat.height)


def _opened(upload: bytes) -> Image.Image:
    """The image, header read and pixels not yet decoded, within the pixel cap."""
    try:
        image = Image.open(_Upload(upload), formats=ACCEPTED)
    except UnidentifiedImageError:
        raise NotAnImageError() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None  # (the warning is an error where warnings are)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Warning, _CutOffError):
        raise BrokenImageError() from None
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise BrokenImageError()
    if width * height > MAX_PIXELS:
        image.close()
        raise _too_many_pixels()
    return image


def _turn(image: Image.Image) -> Image.Transpose | None:
    """The turn that shows the pixels as the camera meant them (its EXIF orientation);
    the EXIF itself is not carried over, so nothing of it is rewritten."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    return ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None


def _resamplable(image: Image.Image) -> Image.Image:
    """The image in a mode Pillow scales smoothly (the upload's own where it can)."""
    if image.mode.startswith("I;16"):  # 16-bit grey: its top 8 bits
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("1", "P", "PA", "I", "F"):
        return image.convert("RGBA")
    return image


def _too_many_pixels() -> PhotoTooLargeError:
    return PhotoTooLargeError(
        f"has more than {MAX_PIXELS // 1_000_000} million pixels", Refusal.PHOTO_TOO_MANY_PIXELS
    )


def _in_srgb(image: Image.Image) -> Image.Image:
    """Colours as the embedded profile means them, in sRGB (then the profile can go)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(profile))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the numbers as they are
    return converted if converted is not None else image


def _flattened(image: Image.Image) -> Image.Image:
    """A new RGB image with only the pixels: transparency onto white, nothing else kept."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat
