"""Run ``process_file`` in a process of its own, for the crash, concurrency and memory tests.

    python child_load.py PATH FEED URL [--chunk-rows N] [--die-before-upsert]

Prints the outcomes as JSON on its last line. ``--die-before-upsert`` ends the process with
``os._exit`` the moment the pipeline is about to upsert staging into core: every COPY of the file
has run, nothing is committed, and no Python cleanup (``finally``, context managers) runs — the
same as a worker killed by the OOM killer or a lost node at that instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DIED_BEFORE_UPSERT = 17


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("feed")
    parser.add_argument("url")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--die-before-upsert", action="store_true")
    args = parser.parse_args()

    from agritrace import pipeline

    if args.die_before_upsert:
        def die(*_args, **_kwargs):
            sys.stdout.flush()
            os._exit(DIED_BEFORE_UPSERT)

        pipeline.write_staged = die
    outcomes = pipeline.process_file(args.path, args.feed, url=args.url, chunk_rows=args.chunk_rows)
    from agritrace.bench.child import peak_rss_mb

    print(json.dumps({"peak_mb": peak_rss_mb()}))
    print(json.dumps([o.__dict__ for o in outcomes], ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
