"""Why a whole file is refused, said so that the person who sent it knows what to do next."""

from __future__ import annotations

from pathlib import Path


class FileRejected(Exception):
    """The file cannot be read at all; no row of it is loaded or quarantined."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"file {self.path} rejected: {reason}")


class ProfileConflict(FileRejected):
    """More than one source profile claims the file; reading it either way would be a guess."""


class LimitExceeded(FileRejected):
    """The file breaks one of the input limits (``agritrace.config.INPUT_LIMITS``).

    Refused before it costs unbounded memory or time; the message names the limit, its value and
    the environment variable that raises it.
    """

    def __init__(self, path: Path | str, found: str, *, limit: str, value: int, unit: str, setting: str,
                 advice: str) -> None:
        self.limit = limit
        self.value = value
        self.setting = setting
        super().__init__(
            path,
            f"{found}: beyond the {limit} limit of {value:,} {unit} ({setting}); {advice}, or raise "
            f"{setting} if such files are expected",
        )
