"""Trace-back / trace-forward lookups for regulators, and traceability exports.

- ``lookup``: ``trace(conn, key, …)`` and ``search(conn, text, …)``, over ``sql/trace``
- ``models``: the typed result (``TraceResult``, ``SearchResult``) every interface reads
- ``render``: the chain as terminal text, JSON, CSV rows, XLSX
- ``export``: events for a product (FSMA 204 style CSV/XLSX) and ``to_epcis`` (GS1 EPCIS 2.0)
- ``install``: (re)create the SQL functions after the migrations

The HTML page is ``agritrace.web.trace_page``.
"""
