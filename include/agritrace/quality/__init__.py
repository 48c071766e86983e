"""Validation: Great Expectations suites built from the feed contracts, and row-level quarantine."""
