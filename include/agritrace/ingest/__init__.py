"""Ingest: reading landed feed files into canonical frames, and their values into types.

    parsed = read_feed_file(path, "certificates", load_profiles())
    for part in parsed:
        typed = normalise(part.feed, part.raw, find_profile(profiles, part.profile))

Nothing here touches the database; the quality layer decides what to quarantine.
"""

from agritrace.ingest.errors import FileRejected, ProfileConflict
from agritrace.ingest.files import iter_feed_file, read_feed_file
from agritrace.ingest.normalise import normalise
from agritrace.ingest.profiles import SourceProfile, find_profile, load_profiles, profiles_dir
from agritrace.ingest.records import Normalised, ParsedFile, RowProblem
from agritrace.ingest.values import parse_date, parse_number

__all__ = [
    "FileRejected",
    "Normalised",
    "ParsedFile",
    "ProfileConflict",
    "RowProblem",
    "SourceProfile",
    "find_profile",
    "iter_feed_file",
    "load_profiles",
    "normalise",
    "parse_date",
    "parse_number",
    "profiles_dir",
    "read_feed_file",
]
