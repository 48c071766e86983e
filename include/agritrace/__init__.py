"""agritrace: traceable agricultural product quality on Airflow, Great Expectations and Postgres."""

import os

__version__ = "0.1.0"

# Great Expectations reports usage analytics unless told not to; agritrace never sends them. Set once,
# here, because every entry point (the CLI, Airflow tasks, benchmarks, tests) imports this package
# before it reaches Great Expectations, which reads the variable when a data context is created.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
