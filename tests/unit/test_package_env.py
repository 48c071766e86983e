"""Great Expectations never sends usage analytics: importing agritrace turns them off, once, for every entry point."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_agritrace_turns_gx_analytics_off():
    env = {k: v for k, v in os.environ.items() if k != "GX_ANALYTICS_ENABLED"}
    code = "import os, agritrace; print(os.environ['GX_ANALYTICS_ENABLED'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "false"


def test_an_operator_setting_is_kept():
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "true"}
    code = "import os, agritrace; print(os.environ['GX_ANALYTICS_ENABLED'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "true"
