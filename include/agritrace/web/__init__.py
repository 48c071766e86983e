"""agritrace over HTTP: the FastAPI app the Airflow plugin mounts at ``/agritrace``.

- ``app.create_app()`` assembles the routers (marts, trace, quality) and the GX Data Docs files;
- ``auth`` resolves the Airflow login behind every request and maps roles to agritrace rights;
- ``*_routes``: routing, rights and HTTP errors only; the queries live with their domain
  (``agritrace.quality.findings``, ``agritrace.trace.lookup``, ``agritrace.marts.query``/``report``);
- ``layout``: the one page shell and stylesheet of every HTML page (also the standalone report
  file), and ``quality_pages``, ``trace_page``, ``marts_page`` the pages built on it.

Nothing here is imported at package import, so ``import agritrace.web.auth`` stays light.
"""
