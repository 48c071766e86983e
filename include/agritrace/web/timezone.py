"""The bureau's time zone as the Airflow UI's default.

Airflow 3's UI keeps the time zone a user picked in the browser's local storage (key ``timezone``,
a JSON string) and otherwise uses the browser's own, which on a server or a laptop set to UTC shows
every run in UTC. ``BureauTimeZone`` is a root middleware of the api-server: into Airflow's UI page
(the one HTML document the single-page app loads) it puts one line of script that stores the bureau's
zone (``AGRITRACE_TIMEZONE``, Asia/Shanghai by default) when the user has not picked one. The user's
own choice in the UI is kept.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agritrace.config import settings

# Paths whose HTML is not Airflow's UI page: our own app and the API's documentation pages.
NOT_THE_UI = ("/agritrace", "/api/", "/execution", "/docs", "/redoc")


def default_zone_script(zone: str) -> bytes:
    value = json.dumps(json.dumps(zone))
    return (f"<script>try{{if(!localStorage.getItem('timezone'))localStorage.setItem('timezone',{value})}}"
            "catch(e){}</script>").encode()


class BureauTimeZone:
    """ASGI middleware: Airflow's UI page gets the bureau's time zone as the default of its time-zone setting."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(NOT_THE_UI):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or not _is_html(start):
                if start is not None:
                    await send(start)
                    start = None
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body).replace(b"<head>", b"<head>" + default_zone_script(settings().timezone), 1)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, capture)


def _is_html(start: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in start["headers"])
