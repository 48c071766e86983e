"""agritrace: traceable agricultural product quality on Airflow, Great Expectations and Postgres."""

__version__ = "0.1.0"
