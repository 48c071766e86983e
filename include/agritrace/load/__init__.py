"""Loading: the per-file ledger, COPY into staging, upsert into core, quarantine rows."""
