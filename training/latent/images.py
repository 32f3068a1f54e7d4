"""Image sets of the Latent studio: load, check and prepare training images.

A set is either a folder of image files or an `.npz` file with an `images` array
(N, H, W, 3|4, uint8) and optional `names` / `is_flag` arrays. Every image is
composited onto a background (RGBA -> RGB), scaled so that its shorter side equals
`size`, and centre-cropped to `size` x `size`. Files that cannot be read, or that
are smaller than `min_side`, are reported and skipped; an empty result is an
`ImageSetError` (a `UserError`: one line, exit status 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from training.kit.errors import UserError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
BACKGROUNDS = ("white", "black", "gray", "random")
SUBSETS = ("all", "no-flags", "no-skin-tones")
SKIN_TONES = ("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff")
_FIXED_BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128)}


class ImageSetError(UserError):
    """The image set is unusable (missing, or no usable image in it)."""


@dataclass
class ImageSet:
    images: np.ndarray  # uint8 (N, size, size, 3)
    names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    filtered: int = 0  # dropped by the subset rule


def has_skin_tone(name: str) -> bool:
    low = name.lower()
    return any(code in low for code in SKIN_TONES)


def looks_like_flag(name: str) -> bool:
    """Regional-indicator pairs (1f1e6..1f1ff) and black-flag tag sequences (1f3f4_e00..)."""
    parts = [p for p in Path(name).stem.lower().replace("-", "_").split("_") if p]
    regional = [p for p in parts if len(p) == 5 and "1f1e6" <= p <= "1f1ff"]
    return len(regional) >= 2 or (bool(parts) and parts[0] == "1f3f4" and any(p.startswith("e00") for p in parts))


def background_colours(kind: str, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) uint8 colours for `kind`; `random` draws one colour per image."""
    if kind == "random":
        return rng.integers(0, 256, size=(count, 3), dtype=np.uint8)
    if kind not in _FIXED_BACKGROUNDS:
        raise ImageSetError(f"unknown background {kind!r}; choose one of {', '.join(BACKGROUNDS)}")
    return np.tile(np.array(_FIXED_BACKGROUNDS[kind], np.uint8), (count, 1))


def composite(rgba: np.ndarray, colour) -> np.ndarray:
    """Straight-alpha RGBA (H, W, 4) uint8 over a solid colour -> RGB uint8."""
    if rgba.shape[-1] == 3:
        return rgba.astype(np.uint8)
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    back = np.asarray(colour, np.float32).reshape(1, 1, 3)
    return np.clip(np.rint(alpha * rgb + (1.0 - alpha) * back), 0, 255).astype(np.uint8)


def fit_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Scale so the shorter side is `size` (Lanczos), then centre-crop to size x size."""
    h, w = rgb.shape[:2]
    if (h, w) != (size, size):
        scale = size / min(h, w)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        img = Image.fromarray(rgb).resize((nw, nh), Image.LANCZOS)
        left, top = (nw - size) // 2, (nh - size) // 2
        rgb = np.asarray(img.crop((left, top, left + size, top + size)))
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def _keep(name: str, is_flag: bool, subset: str) -> bool:
    if subset == "all":
        return True
    if subset == "no-flags":
        return not is_flag
    if subset == "no-skin-tones":
        return not is_flag and not has_skin_tone(name)
    raise ImageSetError(f"unknown subset {subset!r}; choose one of {', '.join(SUBSETS)}")


def _read_file(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        img.load()
        mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
        return np.asarray(img.convert(mode))


def _iter_folder(folder: Path, skipped: list):
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    for path in files:
        name = path.relative_to(folder).as_posix()
        try:
            yield name, _read_file(path), looks_like_flag(path.name)
        except Exception as exc:  # PIL raises many kinds for broken files
            skipped.append((name, f"unreadable: {type(exc).__name__}: {exc}"))


def _iter_npz(path: Path):
    with np.load(path, allow_pickle=False) as data:
        if "images" not in data:
            raise ImageSetError(f"{path}: no 'images' array (found {', '.join(data.files) or 'nothing'})")
        images = data["images"]
        names = [str(n) for n in data["names"]] if "names" in data else [f"{i:05d}" for i in range(len(images))]
        flags = data["is_flag"].astype(bool) if "is_flag" in data else np.array([looks_like_flag(n) for n in names])
    if images.ndim == 3:
        images = images[..., None]
    for name, img, flag in zip(names, images, flags):
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        yield name, np.asarray(img, np.uint8), bool(flag)


def load_image_set(
    source: str | Path,
    size: int = 64,
    background: str = "white",
    subset: str = "all",
    min_side: int | None = None,
    seed: int = 0,
    log=print,
) -> ImageSet:
    """Load and prepare every usable image of `source` (folder or .npz)."""
    source = Path(source)
    min_side = size // 2 if min_side is None else min_side
    if subset not in SUBSETS:
        raise ImageSetError(f"unknown subset {subset!r}; choose one of {', '.join(SUBSETS)}")
    if background not in BACKGROUNDS:
        raise ImageSetError(f"unknown background {background!r}; choose one of {', '.join(BACKGROUNDS)}")
    skipped: list[tuple[str, str]] = []
    if source.is_dir():
        items = _iter_folder(source, skipped)
    elif source.is_file() and source.suffix.lower() == ".npz":
        items = _iter_npz(source)
    elif source.exists():
        raise ImageSetError(f"{source}: expected a folder of images or an .npz file")
    else:
        raise ImageSetError(f"{source}: no such file or folder")

    rng = np.random.default_rng(seed)
    out, names, filtered = [], [], 0
    for name, img, flag in items:
        if not _keep(name, flag, subset):
            filtered += 1
            continue
        if img.ndim != 3 or img.shape[-1] not in (3, 4):
            skipped.append((name, f"unsupported shape {img.shape}"))
            continue
        if min(img.shape[:2]) < min_side:
            skipped.append((name, f"too small: {img.shape[1]}x{img.shape[0]} < {min_side} px"))
            continue
        colour = background_colours(background, 1, rng)[0]
        out.append(fit_square(composite(img, colour), size))
        names.append(name)
    for name, reason in skipped:
        log(f"skipped {name}: {reason}")
    if not out:
        raise ImageSetError(
            f"{source}: no usable images (subset {subset!r}: {filtered} filtered out, {len(skipped)} skipped)"
        )
    return ImageSet(np.stack(out), names, skipped, filtered)


def to_unit(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return images_uint8.astype(np.float32) / 127.5 - 1.0


def to_uint8(images_unit) -> np.ndarray:
    """float [-1, 1] -> uint8 [0, 255] (rounded, clipped)."""
    return np.clip(np.rint((np.asarray(images_unit, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def save_grid(images_uint8: np.ndarray, path: Path, cols: int | None = None, pad: int = 2, fill=255) -> Path:
    """Save (N, H, W, 3) uint8 images as one PNG grid."""
    n, h, w = images_uint8.shape[:3]
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    sheet = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), fill, np.uint8)
    for i, img in enumerate(images_uint8):
        r, c = divmod(i, cols)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)
    return path
