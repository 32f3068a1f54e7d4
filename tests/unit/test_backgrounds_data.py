"""Backgrounds data: manifest and credits reading, random crops, bad data as one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.unit.backgrounds_testdata import write_textures
from training.__main__ import main as training_main
from training.backgrounds.data import TextureDataError, augment, load_textures, random_crops


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_textures(tmp_path_factory.mktemp("textures"))


def test_manifest_gives_ids_names_categories_credits_and_cc_by_attributions(folder):
    data = load_textures(folder, 32)
    assert data.names == ["stripes_a", "noise_b", "checks_c"]
    assert [t.id for t in data.textures] == [0, 1, 2]
    assert [t.category for t in data.textures] == ["stripes", "noise", "checks"]
    assert data.textures[0].credit == "Maker of stripes_a.png" and data.textures[2].licence == "Public domain"
    # only the CC BY texture needs an attribution line, taken from CREDITS.md
    assert data.attributions() == ["noise_b: Maker of noise_b.jpg, CC BY 4.0, "
                                   "https://creativecommons.org/licenses/by/4.0/ (none)"]
    assert data.licences() == {"CC0-1.0": 1, "CC-BY-4.0": 1, "Public domain": 1}
    assert data.description == "three test textures"
    assert data.textures[1].image.shape == (80, 80, 3) and data.textures[1].image.dtype == np.uint8


def test_without_manifest_every_image_is_a_texture_of_unknown_licence(tmp_path):
    for name in ("b_two.png", "a_one.png"):
        Image.new("RGB", (40, 40), (10, 20, 30)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a texture")
    data = load_textures(tmp_path, 32)
    assert data.names == ["a_one", "b_two"] and data.textures[0].category == "a"
    assert data.textures[0].licence.startswith("unknown") and data.attributions() == []


def test_cc_by_without_a_credits_line_gets_one_from_the_manifest(tmp_path):
    Image.new("RGB", (40, 40)).save(tmp_path / "x.png")
    (tmp_path / "manifest.json").write_text(json.dumps({"images": [{"file": "x.png", "licence": "CC-BY-3.0",
                                                                     "credit": "Someone"}]}))
    assert load_textures(tmp_path, 32).attributions() == ["x: Someone, CC-BY-3.0"]


def test_random_crops_come_from_the_right_texture_and_are_reproducible(folder):
    textures = load_textures(folder, 32).textures
    ids = np.array([0, 1, 2, 1])
    crops = random_crops(textures, ids, 32, np.random.default_rng(5))
    again = random_crops(textures, ids, 32, np.random.default_rng(5))
    assert crops.shape == (4, 32, 32, 3) and crops.dtype == np.uint8
    np.testing.assert_array_equal(crops, again)
    for crop, t in zip(crops, ids):
        image = textures[t].image
        found = any(np.array_equal(image[y:y + 32, x:x + 32], crop) for y in range(49) for x in range(49))
        assert found, f"crop of texture {t} is not a window of its image"
    flipped = augment(crops[0], np.random.default_rng(1), "dihedral")
    assert flipped.shape == crops[0].shape and sorted(flipped.ravel()) == sorted(crops[0].ravel())


@pytest.mark.parametrize("case", ["empty", "non-image", "1x1", "missing", "bad-manifest", "no-folder"])
def test_bad_data_is_a_user_error_with_a_clear_message(tmp_path, case, capsys):
    folder = tmp_path / "t"
    folder.mkdir()
    expected = {"empty": "no images", "non-image": "not an image", "1x1": "1x1 px is smaller than the 32 px",
                "missing": "listed in manifest.json but missing", "bad-manifest": "not valid JSON",
                "no-folder": "no such folder"}[case]
    if case == "non-image":
        (folder / "fake.jpg").write_text("this is text, not a JPEG")
    elif case == "1x1":
        Image.new("RGB", (1, 1)).save(folder / "dot.png")
    elif case == "missing":
        (folder / "manifest.json").write_text(json.dumps({"images": [{"file": "gone.png"}]}))
    elif case == "bad-manifest":
        (folder / "manifest.json").write_text("{not json")
    elif case == "no-folder":
        folder = tmp_path / "nothing-here"
    with pytest.raises(TextureDataError, match=expected):
        load_textures(folder, 32)
    # the command line reports it as one line with exit status 2
    code = training_main(["backgrounds", "train", "--images", str(folder), "--name", "bad", "--crop", "32",
                          "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and expected in err and "\n" not in err
