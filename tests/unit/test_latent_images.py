"""Image preparation of the Latent studio: compositing, resizing, bad files, subsets."""
import numpy as np
import pytest
from PIL import Image

from training.latent.images import (
    ImageSetError,
    composite,
    has_skin_tone,
    load_image_set,
    looks_like_flag,
    save_grid,
    to_uint8,
    to_unit,
)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "imgs"
    root.mkdir()
    # opaque RGB, 40x40, solid colour
    Image.new("RGB", (40, 40), (10, 200, 30)).save(root / "a_rgb.png")
    # RGBA: left half half-transparent red, right half fully transparent
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[:, :16] = (200, 0, 0, 128)
    rgba[:, 16:] = (0, 0, 255, 0)
    Image.fromarray(rgba, "RGBA").save(root / "b_rgba.png")
    # wide image with three vertical bands; the centre crop must keep the green one
    bands = np.zeros((40, 120, 3), np.uint8)
    bands[:, :40] = (255, 0, 0)
    bands[:, 40:80] = (0, 255, 0)
    bands[:, 80:] = (0, 0, 255)
    Image.fromarray(bands).save(root / "c_wide.jpg", quality=98)
    (root / "d_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    Image.new("RGB", (8, 8), (1, 2, 3)).save(root / "e_tiny.png")
    (root / "notes.txt").write_text("not an image")
    return root


def test_composite_matches_alpha_formula():
    px = np.array([[[200, 100, 0, 128]]], np.uint8)
    a = 128 / 255
    white = composite(px, (255, 255, 255))[0, 0]
    black = composite(px, (0, 0, 0))[0, 0]
    assert white.tolist() == [round(200 * a + 255 * (1 - a)), round(100 * a + 255 * (1 - a)), round(255 * (1 - a))]
    assert black.tolist() == [round(200 * a), round(100 * a), 0]


def test_folder_is_prepared_and_bad_files_are_reported(folder):
    messages = []
    data = load_image_set(folder, size=32, background="white", log=messages.append)
    assert data.images.shape == (3, 32, 32, 3) and data.images.dtype == np.uint8
    assert data.names == ["a_rgb.png", "b_rgba.png", "c_wide.jpg"]
    skipped = dict(data.skipped)
    assert set(skipped) == {"d_corrupt.png", "e_tiny.png"}
    assert "unreadable" in skipped["d_corrupt.png"] and "too small" in skipped["e_tiny.png"]
    assert any("d_corrupt.png" in m for m in messages) and any("e_tiny.png" in m for m in messages)

    rgb, rgba, wide = data.images
    assert np.abs(rgb[5:-5, 5:-5].astype(int) - (10, 200, 30)).max() <= 1  # 40 -> 32 resize keeps the colour
    a = 128 / 255
    assert rgba[16, 4].tolist() == [round(200 * a + 255 * (1 - a)), round(255 * (1 - a)), round(255 * (1 - a))]
    assert rgba[16, 28].tolist() == [255, 255, 255]  # transparent -> background, whatever the hidden colour
    centre = wide[4:-4, 4:-4].reshape(-1, 3).astype(int)
    assert (centre[:, 1] > 200).all() and (centre[:, 0] < 40).all() and (centre[:, 2] < 40).all()


@pytest.mark.parametrize("background, expected", [("black", [0, 0, 0]), ("gray", [128, 128, 128])])
def test_backgrounds(folder, background, expected):
    data = load_image_set(folder, size=32, background=background, log=lambda m: None)
    assert data.images[1][16, 28].tolist() == expected


def test_random_background_is_seeded(folder):
    one = load_image_set(folder, size=32, background="random", seed=3, log=lambda m: None).images
    two = load_image_set(folder, size=32, background="random", seed=3, log=lambda m: None).images
    three = load_image_set(folder, size=32, background="random", seed=4, log=lambda m: None).images
    assert np.array_equal(one, two) and not np.array_equal(one[1], three[1])


def test_empty_or_missing_set_is_a_clear_error(tmp_path):
    (tmp_path / "only_bad.png").write_bytes(b"garbage")
    with pytest.raises(ImageSetError, match="no usable images"):
        load_image_set(tmp_path, size=32, log=lambda m: None)
    with pytest.raises(ImageSetError, match="no such file"):
        load_image_set(tmp_path / "missing", size=32)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageSetError, match="no usable images"):
        load_image_set(empty, size=32)


def test_npz_subsets(tmp_path):
    images = np.zeros((5, 48, 48, 4), np.uint8)
    images[..., 0] = np.arange(5)[:, None, None] * 40
    images[..., 3] = 255
    names = np.array(["1f600", "1f44b_1f3fd", "1f1eb_1f1f7", "1f469_1f3ff_200d_1f4bb", "2615"])
    flags = np.array([False, False, True, False, False])
    path = tmp_path / "set.npz"
    np.savez(path, images=images, names=names, is_flag=flags)
    assert len(load_image_set(path, size=32).images) == 5
    no_flags = load_image_set(path, size=32, subset="no-flags")
    assert no_flags.names == ["1f600", "1f44b_1f3fd", "1f469_1f3ff_200d_1f4bb", "2615"] and no_flags.filtered == 1
    plain = load_image_set(path, size=32, subset="no-skin-tones")
    assert plain.names == ["1f600", "2615"]
    assert plain.images[1][10, 10, 0] == 160  # opaque pixel kept exactly (48 -> 32 resize of a flat image)
    with pytest.raises(ImageSetError, match="no usable images"):
        load_image_set(path, size=32, subset="no-skin-tones", min_side=64, log=lambda m: None)


def test_name_rules_and_conversions(tmp_path):
    assert has_skin_tone("1f44b_1f3fb") and not has_skin_tone("1f44b")
    assert looks_like_flag("1f1eb_1f1f7.png") and looks_like_flag("1f3f4_e0067_e0062_e0065_e006e_e0067_e007f")
    assert not looks_like_flag("1f3f4") and not looks_like_flag("1f600")
    x = np.array([0, 1, 127, 128, 255], np.uint8)
    assert np.array_equal(to_uint8(to_unit(x)), x)
    grid = save_grid(np.zeros((5, 8, 8, 3), np.uint8), tmp_path / "g.png", cols=3, pad=1)
    with Image.open(grid) as image:
        assert image.size == (3 * 9 + 1, 2 * 9 + 1)
