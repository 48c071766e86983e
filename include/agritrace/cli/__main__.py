import sys

from agritrace.cli import app

sys.exit(app())
