"""File helpers for the RPA flows.

Every flow keeps its inputs in ``flows/<name>/data`` and writes its results to
``flows/<name>/output``. Missing input files are not an error: a robot that finds
nothing to do logs it and returns an empty result.
"""

import csv
import json
from pathlib import Path
from typing import Any


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Return the rows of a CSV file as dictionaries, or [] when the file is missing."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def read_json(path: Path, default: Any = None) -> Any:
    """Return the parsed JSON document at ``path``, or ``default`` when it is missing."""
    if not path.is_file():
        return default
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as pretty-printed JSON, creating parent folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, creating parent folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def remove_paths(paths: list[Path]) -> int:
    """Delete the given files if they exist and return how many were removed."""
    removed = 0
    for path in paths:
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
