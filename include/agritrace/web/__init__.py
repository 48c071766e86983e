"""agritrace over HTTP: the FastAPI app the Airflow plugin mounts at ``/agritrace``.

- ``app.create_app()`` assembles the routers (marts, trace, quality) and the GX Data Docs files;
- ``auth`` resolves the Airflow login behind every request and maps roles to agritrace rights;
- ``quality_routes`` the data-quality page and its JSON; ``layout`` the page chrome they share.

Nothing here is imported at package import, so ``import agritrace.web.auth`` stays light.
"""
