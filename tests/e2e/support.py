"""Helpers the browser tests share: ports, logs, stopping servers, the local login."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

from agritrace.airflow_local import LOCAL_USER

STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def local_password() -> str:
    """The local admin's password, from the SimpleAuthManager passwords file airflow_env() wrote."""
    passwords = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    return json.loads(passwords.read_text())[LOCAL_USER]
