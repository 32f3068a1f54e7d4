"""Texture sets of the Backgrounds studio: the manifest, the images, random crops.

A texture set is a folder of images. With a `manifest.json` (as in ../shared/data/textures/:
`{"images": [{"file", "kind", "licence", "credit", ...}]}`) it lists the textures, their
category, credit and licence; without one, every image file of the folder is a texture of
unknown licence. `CREDITS.md`, when present, holds the attribution lines that CC BY textures
require (a Markdown table `| file | credit | licence | changes made here |`); a CC BY texture
without such a line gets one made from its manifest entry. Texture ids follow the order of
the manifest (or of the sorted file names).

Bad data is a `TextureDataError` (a `UserError`: one line, exit status 2): a missing or empty
folder, a file that is not an image, an image smaller than the training crop.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from training.kit.errors import UserError
from training.kit.files import read_json

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
MANIFEST, CREDITS = "manifest.json", "CREDITS.md"
AUGMENTATIONS = ("none", "flip", "dihedral")


class TextureDataError(UserError):
    """The texture folder cannot be used as it is."""


@dataclass
class Texture:
    id: int
    name: str
    file: str
    category: str
    credit: str
    licence: str
    attribution: str | None  # the line a CC BY licence requires, else None
    image: np.ndarray  # (H, W, 3) uint8

    def describe(self) -> dict:
        return {"id": self.id, "name": self.name, "file": self.file, "category": self.category,
                "credit": self.credit, "licence": self.licence, "attribution": self.attribution,
                "width": int(self.image.shape[1]), "height": int(self.image.shape[0])}


@dataclass
class TextureSet:
    folder: Path
    textures: list[Texture]
    description: str

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.textures]

    def attributions(self) -> list[str]:
        return [t.attribution for t in self.textures if t.attribution]

    def licences(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.textures:
            counts[t.licence] = counts.get(t.licence, 0) + 1
        return counts


def is_cc_by(licence: str) -> bool:
    return licence.replace(" ", "-").upper().startswith("CC-BY")


def read_manifest(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = read_json(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TextureDataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("images"), list):
        raise TextureDataError(f"{path}: expected an object with an 'images' list")
    for i, entry in enumerate(manifest["images"]):
        if not isinstance(entry, dict) or not entry.get("file"):
            raise TextureDataError(f"{path}: images[{i}] has no 'file'")
    return manifest


def read_attributions(folder: Path) -> dict[str, str]:
    """file -> 'credit, licence (changes)' from the rows of the CREDITS.md tables."""
    path = Path(folder) / CREDITS
    if not path.exists():
        return {}
    lines = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) >= 3 and Path(cells[0]).suffix.lower() in IMAGE_SUFFIXES:
            changes = f" ({cells[3]})" if len(cells) > 3 and cells[3] else ""
            lines[cells[0]] = f"{Path(cells[0]).stem}: {cells[1]}, {cells[2]}{changes}"
    return lines


def read_image(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as img:
            img.load()
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise TextureDataError(f"{path}: not an image ({type(exc).__name__}: {exc})") from None


def _entries(folder: Path, manifest: dict | None) -> list[dict]:
    if manifest is not None:
        return manifest["images"]
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return [{"file": f} for f in files]


def load_textures(folder: str | Path, min_side: int) -> TextureSet:
    """Every texture of `folder`, each at least `min_side` px on its short side."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise TextureDataError(f"{folder}: no such folder (--images takes a folder of texture images)")
    manifest = read_manifest(folder)
    entries = _entries(folder, manifest)
    if not entries:
        raise TextureDataError(f"{folder}: no images (expected {', '.join(sorted(IMAGE_SUFFIXES))} files"
                               f" or a {MANIFEST} listing them)")
    attributions = read_attributions(folder)
    textures = []
    for i, entry in enumerate(entries):
        path = folder / entry["file"]
        if not path.is_file():
            raise TextureDataError(f"{path}: listed in {MANIFEST} but missing")
        image = read_image(path)
        h, w = image.shape[:2]
        if min(h, w) < min_side:
            raise TextureDataError(f"{path}: {w}x{h} px is smaller than the {min_side} px training crop; "
                                   f"use larger images or a smaller --crop")
        licence = str(entry.get("licence") or "unknown (no manifest entry)")
        credit = str(entry.get("credit") or "unknown")
        attribution = attributions.get(entry["file"])
        if attribution is None and is_cc_by(licence):
            attribution = f"{Path(entry['file']).stem}: {credit}, {licence}"
        textures.append(Texture(id=i, name=Path(entry["file"]).stem, file=entry["file"],
                                category=str(entry.get("kind") or Path(entry["file"]).stem.split("_")[0]),
                                credit=credit, licence=licence, attribution=attribution if is_cc_by(licence) else None,
                                image=image))
    description = (manifest or {}).get("description") or f"{len(textures)} texture images from {folder.name}"
    return TextureSet(folder=folder, textures=textures, description=description)


def augment(crop: np.ndarray, rng: np.random.Generator, mode: str) -> np.ndarray:
    """'flip': random left-right mirror (keeps up and down: light, gravity, brick rows);
    'dihedral': any of the 8 flips and quarter turns; 'none'."""
    if mode == "none":
        return crop
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if mode == "dihedral":
        if rng.random() < 0.5:
            crop = crop[::-1]
        if rng.random() < 0.5:
            crop = crop.transpose(1, 0, 2)
    return crop


def random_crops(textures: list[Texture], ids: np.ndarray, size: int, rng: np.random.Generator,
                 mode: str = "none") -> np.ndarray:
    """(len(ids), size, size, 3) uint8: one random crop of texture `ids[i]` each."""
    out = np.empty((len(ids), size, size, 3), np.uint8)
    for i, t in enumerate(ids):
        image = textures[int(t)].image
        y = int(rng.integers(0, image.shape[0] - size + 1))
        x = int(rng.integers(0, image.shape[1] - size + 1))
        out[i] = augment(image[y:y + size, x:x + size], rng, mode)
    return out
