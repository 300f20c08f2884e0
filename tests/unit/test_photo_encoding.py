"""The photo re-encoder (applications/photo_encoding.py): only our own JPEG is stored.

Every image here is made by the test with Pillow (`tests/images.py`).
"""

import warnings
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile

from stafett.applications.photo_encoding import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    BrokenImageError,
    NotAnImageError,
    PhotoRejectedError,
    PhotoTooLargeError,
    reencode,
)
from tests.images import (
    SECRET_COMMENT,
    TEXT_FILE,
    camera_jpeg,
    flat_png,
    gif,
    opened,
    png,
    png_bomb,
    webp,
)


def is_blue(pixel: tuple[int, ...]) -> bool:
    red, green, blue = pixel[:3]
    return blue > 200 and red < 60 and green < 60


def test_the_camera_s_exif_with_the_gps_position_is_gone() -> None:
    upload = camera_jpeg()
    before = opened(upload)
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload has a position
    assert SECRET_COMMENT in upload

    stored = opened(reencode(upload).data)

    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert set(stored.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    raw = reencode(upload).data
    assert b"Exif" not in raw
    assert SECRET_COMMENT not in raw
    assert b"Telefonmerke" not in raw
    assert b"SN-123456" not in raw


def test_the_exif_orientation_is_applied_before_it_is_removed() -> None:
    # Orientation 6: the camera was turned; shown upright, the 800 × 400 picture is
    # 400 × 800 and its blue top-left quarter is at the top right.
    photo = reencode(camera_jpeg(800, 400, orientation=6))
    stored = opened(photo.data)

    assert (photo.width, photo.height) == stored.size == (256, 512)
    assert is_blue(stored.getpixel((stored.width - 10, 10)))  # type: ignore[arg-type]
    assert not is_blue(stored.getpixel((10, 10)))  # type: ignore[arg-type]
    assert not is_blue(stored.getpixel((stored.width - 10, stored.height - 10)))  # type: ignore[arg-type]


def test_an_upright_photo_keeps_its_corners() -> None:
    stored = opened(reencode(camera_jpeg(800, 400, orientation=1)).data)
    assert stored.size == (512, 256)
    assert is_blue(stored.getpixel((10, 10)))  # type: ignore[arg-type]
    assert not is_blue(stored.getpixel((stored.width - 10, 10)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("upload", "size"),
    [
        pytest.param(camera_jpeg(3000, 2000), (MAX_SIDE, 341), id="large JPEG"),
        pytest.param(png(300, 200), (300, 200), id="small PNG, not enlarged"),
        pytest.param(webp(1024, 2048), (256, MAX_SIDE), id="WebP"),
    ],
)
def test_jpeg_png_and_webp_become_a_jpeg_of_at_most_512_pixels(
    upload: bytes, size: tuple[int, int]
) -> None:
    photo = reencode(upload)
    stored = opened(photo.data)
    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert stored.size == size == (photo.width, photo.height)
    assert photo.media_type == "image/jpeg"


def test_transparency_becomes_white() -> None:
    stored = opened(reencode(png(100, 100, color=(0, 0, 255, 0))).data)
    red, green, blue = stored.getpixel((50, 50))  # type: ignore[misc]
    assert min(red, green, blue) > 245


def test_a_png_whose_header_declares_ten_billion_pixels_is_refused_unread() -> None:
    bomb = png_bomb(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(PhotoTooLargeError) as refused:
        reencode(bomb)
    assert refused.value.field == "photo"
    assert "pixels" in refused.value.message


def test_a_real_image_over_the_pixel_cap_is_refused_though_small_in_bytes() -> None:
    width = 6_000
    height = MAX_PIXELS // width + 1
    flat = flat_png(width, height)
    assert len(flat) < MAX_PHOTO_BYTES
    with pytest.raises(PhotoTooLargeError, match="pixels"):
        reencode(flat)


def test_the_pixel_cap_holds_where_pillow_only_warns() -> None:
    # In production a DecompressionBombWarning is a warning, not an error: the
    # re-encoder's own check must refuse the image all the same.
    width = 6_000
    flat = flat_png(width, MAX_PIXELS // width + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(PhotoTooLargeError, match="pixels"):
            reencode(flat)


def test_pillow_s_own_bomb_limit_is_ours() -> None:
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS


def test_a_text_file_named_like_a_photo_is_not_an_image() -> None:
    with pytest.raises(NotAnImageError) as refused:
        reencode(TEXT_FILE)
    assert refused.value.field == "photo"


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(gif(), id="GIF"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="SVG"),
        pytest.param(b"%PDF-1.7\n" + b"0" * 100, id="PDF"),
    ],
)
def test_other_formats_are_not_accepted(upload: bytes) -> None:
    with pytest.raises(NotAnImageError):
        reencode(upload)


def test_more_than_5_mb_is_refused_before_it_is_read() -> None:
    # Valid JPEG bytes first: the size alone decides, before Pillow looks at them.
    too_large = camera_jpeg() + b"\x00" * MAX_PHOTO_BYTES
    with pytest.raises(PhotoTooLargeError, match="5 MB"):
        reencode(too_large)


def test_just_within_5_mb_is_read() -> None:
    upload = camera_jpeg()
    padded = upload + b"\x00" * (MAX_PHOTO_BYTES - len(upload))  # bytes after the image end
    assert len(padded) == MAX_PHOTO_BYTES
    assert opened(reencode(padded).data).format == "JPEG"


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(camera_jpeg(800, 400)[:2_000], id="cut-off JPEG"),
        pytest.param(png(300, 200)[:60], id="cut-off PNG"),
    ],
)
@pytest.mark.parametrize("truncated_allowed", [False, True])
def test_a_damaged_image_is_refused_as_broken(
    upload: bytes, truncated_allowed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever Pillow's process-wide switch says (any imported library may turn it on).
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", truncated_allowed)
    with pytest.raises(BrokenImageError):
        reencode(upload)


def test_what_is_stored_is_always_a_new_encoding() -> None:
    upload = camera_jpeg(400, 300)
    stored = reencode(upload).data
    assert stored != upload
    assert reencode(stored).data != upload
    assert Image.open(BytesIO(stored)).format == "JPEG"


SEEDS = (camera_jpeg(120, 80, orientation=6), png(48, 32, color=(1, 2, 3, 4)), webp(48, 32))


@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(max_size=16), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    ),
)
def test_a_damaged_upload_is_refused_or_becomes_a_clean_jpeg(
    seed: bytes, edits: list[tuple[float, bytes, int]]
) -> None:
    """Bytes of a real image, overwritten, cut or grown anywhere (headers, EXIF, pixels):
    the answer is a refusal or our own JPEG, never another error."""
    data = bytearray(seed)
    for where, insert, cut in edits:
        at = int(where * len(data))
        data[at : at + cut] = insert
    try:
        photo = reencode(bytes(data))
    except PhotoRejectedError:
        return
    stored = opened(photo.data)
    assert stored.format == "JPEG"
    assert max(stored.size) <= MAX_SIDE
    assert dict(stored.getexif()) == {}
