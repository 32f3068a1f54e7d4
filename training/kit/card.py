"""The one model-card builder. Every studio's export calls `build_card`; the card is then
checked against `server/card.schema.json` (with the studio's typed `extras`) by
`training.kit.export.atomic_export` once the files are listed."""
from __future__ import annotations

import datetime as _dt

from training.kit.machine import hardware as machine_hardware


def today() -> str:
    return _dt.date.today().isoformat()


def build_card(*, studio: str, name: str, title: str, description: str, training: dict, metrics: dict,
               metrics_method: dict[str, str], parameters: int | None = None, weights_dtype: str = "float32",
               credits: str = "", extras: dict | None = None, format: str = "layers",
               entry: str = "model.json", hardware_note: str | None = None) -> dict:
    """A card without `files` (atomic_export lists and checks them).

    `training` needs dataset, dataset_licence, command, wall_time_s and epochs or steps; the
    date and the hardware line are filled in when absent. Every metric must say how it was
    computed: `metrics_method[key]` names the split, window, weights and reference set."""
    missing = [key for key in metrics if not metrics_method.get(key)]
    if missing:
        raise ValueError(f"metrics without a method in metrics_method: {', '.join(missing)}")
    unknown = [key for key in metrics_method if key not in metrics]
    if unknown:
        raise ValueError(f"metrics_method names metrics the card does not have: {', '.join(unknown)}")
    training = dict(training)
    training.setdefault("date", today())
    if "hardware" not in training:
        training["hardware"] = machine_hardware(hardware_note)
    card = {
        "schema_version": 1,
        "name": name,
        "studio": studio,
        "title": title,
        "description": description,
        "format": format,
        "entry": entry,
        "weights_dtype": weights_dtype,
        "training": training,
        "metrics": metrics,
        "metrics_method": metrics_method,
        "credits": credits,
        "extras": extras or {},
    }
    if parameters is not None:
        card["parameters"] = int(parameters)
    return card
