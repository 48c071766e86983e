"""The landing folder: which files wait in a feed's folder, and where a file goes once processed.

A feed folder holds the files senders deliver; ``archive/``, ``held/`` and ``rejected/`` beside
them hold what was loaded, held by the quality gate, or could not be read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from agritrace.config import settings

FILE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".jsonl", ".json", ".ndjson"}
OUTCOME_FOLDERS = ("archive", "held", "rejected")


def landing_files(feed_name: str, landing_dir: Path | None = None) -> list[Path]:
    """Files waiting in the feed's landing folder, oldest first (sub-folders such as archive/ are ignored)."""
    folder = (landing_dir or settings().landing_dir) / feed_name
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
             and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def move_to(path: Path, folder: str, file_id: int | None, reason: str | None = None) -> Path:
    """Move a processed file into its feed's ``folder``, named with its ledger id; a reason file beside it."""
    feed_dir = path.parent.parent if path.parent.name in OUTCOME_FOLDERS else path.parent
    target_dir = feed_dir / folder
    target_dir.mkdir(exist_ok=True)
    name = path.name if file_id is None or path.name.startswith(f"{file_id}_") else f"{file_id}_{path.name}"
    target = target_dir / name
    shutil.move(str(path), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def held_path(feed_name: str, file_id: int, file_name: str, landing_dir: Path | None = None) -> Path:
    return (landing_dir or settings().landing_dir) / feed_name / "held" / f"{file_id}_{file_name}"
