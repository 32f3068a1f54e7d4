"""Images for the style studio: loading, the style and content sets, augmentation, style metadata."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from training.kit.errors import UserError


class StyleDataError(UserError):
    """A style or content image (or folder) that cannot be used."""


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}

# Kodak images kept out of training (all their crops): the held-out content photos
# for sample grids and for the report.
DEFAULT_HOLDOUT = ("kodim21", "kodim22", "kodim23", "kodim24")

# scikit-image sample photos used as extra content (they ship inside the wheel).
SKIMAGE_PHOTOS = {
    "astronaut": "Eileen Collins, NASA (public domain)",
    "coffee": "Rachel Michetti, courtesy of Pikolo Espresso Bar (CC0)",
    "chelsea": "Stefan van der Walt (CC0)",
    "rocket": "SpaceX, DSCOVR launch (public domain)",
}

# Titles, artists and years of the paintings in ../shared/data/style/styles
# (from ../shared/data/SOURCES.md, section 5). Unknown files get their file name.
KNOWN_STYLES = {
    "starry_night": ("The Starry Night", "Vincent van Gogh", "1889"),
    "the_scream": ("The Scream", "Edvard Munch", "1893"),
    "shipwreck_of_the_minotaur": ("The Shipwreck of the Minotaur", "J. M. W. Turner", "c. 1810"),
    "woman_with_a_hat": ("Woman with a Hat", "Henri Matisse", "1905"),
    "great_wave": ("The Great Wave off Kanagawa (crop)", "Katsushika Hokusai", "c. 1831"),
    "udnie": ("Udnie (Young American Girl, The Dance)", "Francis Picabia", "1913"),
    "mondrian_composition_1913": ("Composition (cubist period)", "Piet Mondrian", "c. 1913"),
    "contrast_of_forms": ("Contrast of Forms", "Fernand Léger", "1913"),
}


def style_meta(style_id: str) -> dict:
    title, artist, year = KNOWN_STYLES.get(style_id, (style_id.replace("_", " ").title(), "unknown", ""))
    return {"id": style_id, "title": title, "artist": artist, "year": year}


def list_images(paths) -> list[Path]:
    """Image files in the given files/folders (folders searched recursively), sorted."""
    found = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found += [f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file()]
        elif p.is_file():
            found.append(p)
        else:
            raise StyleDataError(f"{p}: no such image file or folder")
    return sorted(set(found), key=lambda f: (f.stem, str(f)))


def load_rgb(path, long_side: int | None = None) -> np.ndarray:
    """uint8 [H, W, 3]; resized (Lanczos) so that its longer side is `long_side`."""
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if long_side:
                scale = long_side / max(im.size)
                size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
                im = im.resize(size, Image.LANCZOS)
            return np.asarray(im, dtype=np.uint8).copy()
    except OSError as error:  # missing file, not an image, truncated
        raise StyleDataError(f"{path}: not a readable image ({error})") from error


def save_png(image: np.ndarray, path: Path) -> None:
    """float or uint8 [H, W, 3] in 0..255, rounded and clipped."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(np.round(image), 0, 255).astype(np.uint8)).save(path)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 [H, W, 3] -> uint8 of (width, height) `size`, bilinear."""
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR), dtype=np.uint8)


def center_square(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    m = min(h, w)
    y, x = (h - m) // 2, (w - m) // 2
    return resize(image[y:y + m, x:x + m], (side, side))


def skimage_photos() -> dict[str, np.ndarray]:
    import skimage.data

    return {name: np.asarray(getattr(skimage.data, name)(), dtype=np.uint8) for name in SKIMAGE_PHOTOS}


def held_out_as(file: Path, name: str) -> bool:
    """Whether `file` is the held-out image `name` or one of its crops (`name_...`)."""
    return file.stem == name or file.stem.startswith(name + "_")


def split_content(files: list[Path], holdout=DEFAULT_HOLDOUT):
    """(training files, held-out files): a file is held out if its name starts
    with one of the `holdout` prefixes (so all crops of an image go together)."""
    held = [f for f in files if any(held_out_as(f, h) for h in holdout)]
    train = [f for f in files if f not in held]
    return train, held


def eval_images(held: list[Path], size: int, limit: int = 4) -> list[tuple[str, np.ndarray]]:
    """Held-out images for reports and sample grids: one per held-out name (the
    whole-image crop when there is one), centre-cropped to `size`x`size`."""
    by_name: dict[str, Path] = {}
    for f in held:
        key = f.stem.split("_")[0]
        if key not in by_name or f.stem == key:
            by_name[key] = f
    return [(k, center_square(load_rgb(by_name[k]), size)) for k in sorted(by_name)[:limit]]


def load_styles(folder, long_side: int) -> tuple[list[str], list[np.ndarray]]:
    """(style ids, uint8 images with long side `long_side`) of the paintings in `folder`, sorted by name:
    the index of a style is its place in this list."""
    files = list_images([folder])
    if not files:
        raise StyleDataError(f"--styles {folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return [f.stem for f in files], [load_rgb(f, long_side) for f in files]


@dataclass
class Content:
    """The training pool (whole images, cropped at random per step) and the held-out photos."""
    pool: list[np.ndarray]
    names: list[str]
    eval: list[tuple[str, np.ndarray]]

    @property
    def kodak_count(self) -> int:
        return sum(1 for n in self.names if not n.startswith("skimage:"))


def load_content(paths, holdout, size: int, skimage: bool) -> Content:
    """Content photos of `paths` minus the `holdout` names (plus the scikit-image photos when
    `skimage`); the held-out photos, centre-cropped to `size`, are for samples and reports (with an
    empty holdout, the first three training photos stand in, and are not held out). A holdout name
    that matches no file is refused: a misspelt name would otherwise leave that photo in training."""
    files = list_images(paths)
    train_files, held = split_content(files, holdout)
    missing = [h for h in holdout if not any(held_out_as(f, h) for f in held)]
    if missing:
        raise StyleDataError(f"--holdout {','.join(missing)}: no content image of that name in "
                             f"{' '.join(map(str, paths))} (names are file names without extension, e.g. kodim21)")
    pool, names = [load_rgb(f) for f in train_files], [f.stem for f in train_files]
    if skimage:
        for name, image in skimage_photos().items():
            pool.append(image)
            names.append(f"skimage:{name}")
    if not pool:
        raise StyleDataError(f"--content {' '.join(map(str, paths))}: no content images left for training")
    evals = eval_images(held, size) if held else [(f.stem, center_square(load_rgb(f), size)) for f in train_files[:3]]
    return Content(pool, names, evals)


def random_crop(rng: np.random.Generator, image: np.ndarray, size: int, min_scale: float = 0.5) -> np.ndarray:
    """A random square crop covering `min_scale`..1 of the shorter side, resized to
    size x size, flipped left-right with probability 1/2 (uint8)."""
    h, w = image.shape[:2]
    m = min(h, w)
    side = int(round(m * rng.uniform(min_scale, 1.0)))
    side = max(8, min(side, m))
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = resize(image[y:y + side, x:x + side], (size, size))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return crop


def batch_for_step(seed: int, step: int, pool: list[np.ndarray], batch: int, size: int, num_styles: int,
                   min_scale: float = 0.5):
    """The (images float32 [B, size, size, 3], style index) of training step `step`.
    It depends only on (seed, step), so a resumed run sees the same batches."""
    rng = np.random.default_rng([seed, step])
    style = int(rng.integers(num_styles))
    picks = rng.integers(len(pool), size=batch)
    images = np.stack([random_crop(rng, pool[i], size, min_scale) for i in picks]).astype(np.float32)
    return images, style
