"""Small file helpers every studio uses: atomic writes, JSON, CSV logs, sizes, checksums."""
from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename: a reader (or a resume after
    a kill) sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: str | os.PathLike, data, compact: bool = False) -> Path:
    """Atomic JSON write; UTF-8 as it is (no \\u escapes); `compact` for large reference files."""
    if compact:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    return atomic_write_text(path, text + "\n")


def read_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def append_csv(path: str | os.PathLike, row: dict, fields: list[str] | None = None) -> None:
    """Append one row to a CSV log, writing the header when the file is new."""
    path = Path(path)
    fields = list(fields or row)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow(row)


def read_csv(path: str | os.PathLike) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def trim_csv(path: str | os.PathLike, key: str, last: float) -> None:
    """Drop log rows whose `key` is beyond `last`: rows written after the checkpoint a run
    resumes from would otherwise appear twice."""
    path = Path(path)
    rows = read_csv(path)
    if not rows:
        return
    fields = list(rows[0])
    kept = [r for r in rows if float(r[key]) <= last]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(kept)


def folder_bytes(folder: str | os.PathLike) -> int:
    """Total size of the files below `folder`."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
