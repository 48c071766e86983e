"""The landing folder: which entries wait in a feed's folder, which may be read, and where each goes.

A feed folder holds what senders deliver; ``archive/``, ``held/`` and ``rejected/`` beside them
hold what was loaded, held by the quality gate, or could not be read. Every entry a sender leaves
gets a ledger row, but only a *regular file inside the feed's folder* is ever opened: a symbolic
link, a device or a FIFO is refused unread (a link could point at any file the loader can read).

A file is taken once it has settled: unchanged for ``AGRITRACE_SETTLE_SECONDS``, or at once when
the sender writes ``NAME.done`` beside it. Files are taken in order of arrival in the folder (the
inode change time, which a copy that keeps file times cannot set back), never by modification time.
"""

from __future__ import annotations

import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from agritrace.config import settings

READABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".ods", ".jsonl", ".json", ".ndjson"}
OUTCOME_FOLDERS = ("archive", "held", "rejected")
DONE_MARKER = ".done"
# What to tell a sender whose format is not read, by suffix.
_SAVE_AS = {".xls": "save it as .xlsx or .csv", ".xlsm": "save it as .xlsx without macros"}


@dataclass(frozen=True)
class Refusal:
    """Why an entry of a landing folder is not read, for its ledger row."""

    reason: str
    # Whether its content may be hashed: never for links, devices or FIFOs.
    readable: bool


def landing_files(feed_name: str, landing_dir: Path | None = None, *, settle_seconds: float | None = None,
                  now: float | None = None) -> list[Path]:
    """Entries waiting in the feed's folder that have settled, in order of arrival.

    Refused entries (links, unsupported formats …) are listed too, so that each gets its ledger row;
    hidden names (a sender's ``.part`` files) and ``NAME.done`` markers are not entries.
    """
    cfg = settings()
    folder = (landing_dir or cfg.landing_dir) / feed_name
    if not folder.is_dir():
        return []
    settle = cfg.settle_seconds if settle_seconds is None else settle_seconds
    now = time.time() if now is None else now
    entries = []
    for path in folder.iterdir():
        if path.name.startswith(".") or path.name.endswith(DONE_MARKER):
            continue
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            continue
        settled = now - max(info.st_mtime, info.st_ctime) >= settle or _marker(path).exists()
        if settled or not stat.S_ISREG(info.st_mode):
            entries.append((info.st_ctime, path.name, path))
    return [path for _, _, path in sorted(entries)]


def refusal(path: Path) -> Refusal | None:
    """Why ``path`` must not be read, or None for a regular file of a readable format in its folder."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return Refusal("a symbolic link, not a file: links are never followed; deliver the file itself", False)
    if not stat.S_ISREG(info.st_mode):
        return Refusal("not a regular file (a device, FIFO or socket): not read; deliver a file", False)
    if path.resolve().parent != path.parent.resolve():
        return Refusal("outside its feed's folder: not read; deliver the file into the folder itself", False)
    suffix = path.name.strip().rsplit(".", 1)[-1].lower() if "." in path.name else ""
    if f".{suffix}" not in READABLE_SUFFIXES:
        shown = f".{suffix}" if suffix else "(no extension)"
        advice = _SAVE_AS.get(f".{suffix}", "deliver .csv, .xlsx, .ods or .jsonl")
        return Refusal(f"unsupported format {shown}: {advice}", True)
    return None


def move_to(path: Path, folder: str, file_id: int | None, reason: str | None = None) -> Path:
    """Move a processed entry into its feed's ``folder``, named with its ledger id; a reason file beside it.

    A link is moved as the link itself (never its target); the sender's ``.done`` marker goes too.
    """
    feed_dir = path.parent.parent if path.parent.name in OUTCOME_FOLDERS else path.parent
    target_dir = feed_dir / folder
    target_dir.mkdir(exist_ok=True)
    name = path.name.strip()
    name = name if file_id is None or name.startswith(f"{file_id}_") else f"{file_id}_{name}"
    target = target_dir / name
    shutil.move(str(path), target)
    _marker(path).unlink(missing_ok=True)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def held_path(feed_name: str, file_id: int, file_name: str, landing_dir: Path | None = None) -> Path:
    return (landing_dir or settings().landing_dir) / feed_name / "held" / f"{file_id}_{file_name.strip()}"


def _marker(path: Path) -> Path:
    return path.with_name(path.name + DONE_MARKER)
