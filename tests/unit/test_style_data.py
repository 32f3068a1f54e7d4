"""The style data's hold-out (held-out photos never reach the training pool), and what the
shipped card says about the loss network and the training crop size."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.style import data, metrics

REPO = Path(__file__).resolve().parents[2]
CARD = REPO / "exported_models" / "style" / "eight-paintings" / "card.json"


def write_photos(root: Path) -> dict[str, np.ndarray]:
    """Two folders like ../shared/data/style/content: whole photos and corner crops. Every file
    has its own pixels (a unique colour in its first row), so images can be told apart by content."""
    whole, corners = root / "center", root / "corner"
    whole.mkdir(parents=True)
    corners.mkdir()
    files = {}
    rng = np.random.default_rng(1)
    names = [(whole, "kodim01"), (whole, "kodim2"), (whole, "kodim21"), (whole, "kodim210"), (whole, "kodim22"),
             (corners, "kodim01_y0_x0"), (corners, "kodim21_y0_x0"), (corners, "kodim21_y8_x8"),
             (corners, "kodim22_y0_x8"), (corners, "kodim2_y8_x0")]
    for i, (folder, name) in enumerate(names):
        image = rng.integers(0, 256, (24, 28, 3), dtype=np.uint8)
        image[0, :, :] = i * 20
        Image.fromarray(image).save(folder / f"{name}.png")
        files[name] = image
    return files


def test_split_holds_out_every_crop_of_a_held_out_photo_and_nothing_else():
    files = [Path(f"{n}.jpg") for n in ("kodim01", "kodim01_y0_x0", "kodim2", "kodim2_y0_x0", "kodim21",
                                        "kodim21_y0_x244", "kodim210", "kodim21x")]
    train, held = data.split_content(files, ("kodim21", "kodim2"))
    assert sorted(f.stem for f in held) == ["kodim2", "kodim21", "kodim21_y0_x244", "kodim2_y0_x0"]
    # kodim210 and kodim21x are other photos (the name must end, or go on with "_")
    assert sorted(f.stem for f in train) == ["kodim01", "kodim01_y0_x0", "kodim210", "kodim21x"]
    assert not set(train) & set(held) and len(train) + len(held) == len(files)


def test_held_out_photos_are_not_in_the_training_pool(tmp_path):
    files = write_photos(tmp_path)
    content = data.load_content([tmp_path], ("kodim21", "kodim22"), 16, skimage=False)
    held = {n for n in files if n.split("_")[0] in ("kodim21", "kodim22")}
    assert sorted(content.names) == sorted(set(files) - held)
    assert [name for name, _ in content.eval] == ["kodim21", "kodim22"]
    # by content too: no pool image is any held-out file, and every other file is in the pool
    for name in held:
        assert not any(image.shape == files[name].shape and np.array_equal(image, files[name]) for image in content.pool), name
    for name in set(files) - held:
        assert any(np.array_equal(image, files[name]) for image in content.pool), name
    # batch_for_step draws every training crop from this pool only (its sole image source)
    assert {int(image[0, 0, 0]) for image in content.pool}.isdisjoint({int(files[n][0, 0, 0]) for n in held})


def test_a_holdout_name_that_matches_no_photo_is_refused(tmp_path):
    """A misspelt --holdout name would otherwise leave that photo in training without a word."""
    write_photos(tmp_path)
    with pytest.raises(data.StyleDataError) as error:
        data.load_content([tmp_path], ("kodim21", "kodim99", "kodim"), 16, skimage=False)
    assert "--holdout kodim99,kodim" in str(error.value) and "no content image of that name" in str(error.value)


def test_without_a_holdout_the_card_does_not_call_training_photos_held_out(tmp_path):
    write_photos(tmp_path)
    content = data.load_content([tmp_path], (), 16, skimage=False)
    assert len(content.pool) == 10 and len(content.eval) == 3
    eval_names = [n for n, _ in content.eval]
    assert set(eval_names) <= set(content.names)  # they are training photos
    config = {"arch": "light", "size": 16, "style_size": 32, "content_weight": 1.0, "style_weight": 10.0,
              "tv_weight": 1.0, "holdout": []}
    report = {"eval_images": eval_names, "steps": 4}
    found = {"perceptual_loss": 0.5}
    text = metrics.methods(found, metrics.facts_of(config, report, None, ["a", "b"], "float16"))["perceptual_loss"]
    assert "NOT held out" in text and "held-out photos" not in text
    config["holdout"] = ["kodim21"]
    text = metrics.methods(found, metrics.facts_of(config, report, None, ["a", "b"], "float16"))["perceptual_loss"]
    assert "held-out photos" in text and "kept out of training by --holdout" in text


def test_shipped_card_says_the_loss_network_and_the_crop_size():
    card = json.loads(CARD.read_text(encoding="utf-8"))
    loss = card["extras"]["loss_network"]
    assert loss.startswith("random-filters: our own untrained loss network")
    assert "5 conv3x3+ReLU layers deep" in loss and "no pretrained VGG" in loss
    command = card["training"]["command"].split(" && ")
    train = [c for c in command if " train --name eight-paintings " in c][0]
    assert "--loss-net random" in train and "--size 128 " in train
    assert card["training"]["image_size"] == 128
    assert "resized to 128x128 px (the crop size" in card["training"]["dataset"]


@pytest.mark.train
def test_shipped_card_loss_network_is_the_one_the_code_builds():
    from training.style.losses import RANDOM_NET, LossNet, random_net_fields

    card = json.loads(CARD.read_text(encoding="utf-8"))
    train = next(c for c in card["training"]["command"].split(" && ") if " style train " in c).split()
    centred = train[train.index("--centre-gram") + 1].split(",") if "--centre-gram" in train else []
    assert centred == ["r4", "r5"]  # the shipped model's recipe (docs/style-training.md, "Stripes")
    assert card["extras"]["loss_network"] == LossNet("random", centre_gram=centred).description
    assert card["extras"]["loss_network"] != LossNet("random").description
    assert random_net_fields() == [3, 8, 18, 38, 78] and len(RANDOM_NET) == 5
