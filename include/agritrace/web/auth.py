"""Who is asking, and what they may see: Airflow's own login, reused.

Authentication. Airflow's api-server mounts plugin apps inside its root app, so a request to
``/agritrace/…`` carries the same credentials as Airflow's UI: a JWT in ``Authorization: Bearer``
(API clients, from ``POST /auth/token``) or the ``_token`` cookie the login page sets. We resolve
it with Airflow's own ``airflow.api_fastapi.core_api.security.get_user``: bearer header first, then
the user the root app's ``JWTRefreshMiddleware`` already built from the cookie, then the cookie
itself. Token signature, expiry and refresh therefore stay Airflow's business. Airflow is imported
inside the request, so importing this module (and the plugin) stays cheap.

No or expired token: 401; a token that does not verify: 403 (Airflow's choice). Pages turn both
into a redirect to Airflow's login page, which comes back to the page after login.

Authorisation. agritrace has three rights, after the warehouse roles in the architecture:
``analyst`` (marts, trace lookups with personal data masked), ``operator`` (data quality,
quarantined rows, GX Data Docs) and ``regulator`` (trace lookups and quarantined rows with
personal data unmasked). With Airflow's SimpleAuthManager the user's role decides
(``ROLE_RIGHTS``: admin is a regulator and an operator; op an operator; user and viewer analysts).
With another auth manager (FAB, Keycloak …) each right is a custom view the manager authorises:
``agritrace_analyst``, ``agritrace_operator``, ``agritrace_regulator``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Request

Right = Literal["analyst", "operator", "regulator"]
RIGHTS: tuple[Right, ...] = ("analyst", "operator", "regulator")

ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"analyst", "operator", "regulator"}),
    "op": frozenset({"analyst", "operator"}),
    "user": frozenset({"analyst"}),
    "viewer": frozenset({"analyst"}),
}

# Where Airflow's login lives when the app runs outside the api-server (no auth manager to ask).
DEFAULT_LOGIN_PATH = "/auth/login"


@dataclass(frozen=True)
class Viewer:
    """The authenticated person behind a request."""

    username: str
    role: str | None
    rights: frozenset[str]

    def may(self, right: str) -> bool:
        return right in self.rights

    @property
    def sees_personal_data(self) -> bool:
        return self.may("regulator")


class NotAuthenticated(Exception):
    """No valid Airflow login on the request; pages redirect to the login, the API answers ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class NotAllowed(Exception):
    """Logged in, but the user's role lacks the right this page or endpoint needs."""

    def __init__(self, viewer: Viewer, right: str) -> None:
        role = viewer.role or "no role"
        super().__init__(
            f"user {viewer.username!r} ({role}) lacks the agritrace {right} right; "
            f"ask an Airflow admin for a role that grants it (see agritrace.web.auth)"
        )
        self.viewer = viewer
        self.right = right


def rights_for_role(role: str | None) -> frozenset[str]:
    """The rights a SimpleAuthManager role grants (case-insensitive); none for an unknown role."""
    return ROLE_RIGHTS.get((role or "").strip().lower(), frozenset())


async def current_viewer(request: Request) -> Viewer:
    """The Airflow user behind the request, or ``NotAuthenticated``."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
    from fastapi import HTTPException

    try:
        user = await get_user(request, None, await bearer_scheme(request))
    except HTTPException as exc:
        raise NotAuthenticated(exc.status_code, str(exc.detail)) from exc
    return Viewer(username=user.get_name(), role=getattr(user, "role", None), rights=_rights(user))


def _rights(user: Any) -> frozenset[str]:
    if hasattr(user, "role"):
        return rights_for_role(user.role)
    from airflow.api_fastapi.app import get_auth_manager

    manager = get_auth_manager()
    return frozenset(
        right for right in RIGHTS
        if manager.is_authorized_custom_view(method="GET", resource_name=f"agritrace_{right}", user=user)
    )


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def require(right: Right) -> Callable[[Viewer], Viewer]:
    """A dependency that lets the request through only for users holding ``right``."""

    def dependency(viewer: CurrentViewer) -> Viewer:
        if not viewer.may(right):
            raise NotAllowed(viewer, right)
        return viewer

    dependency.__name__ = f"require_{right}"
    return dependency


def requester_name(viewer: CurrentViewer) -> str:
    """The name written to the trace audit log."""
    return viewer.username


def may_see_personal_data(viewer: CurrentViewer) -> bool:
    return viewer.sees_personal_data


def login_url(request: Request) -> str:
    """Airflow's login page, returning to the page asked for (a path, so it stays on this host)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager().get_url_login(next_url=target)
    except RuntimeError:
        # Served outside the api-server (no auth manager initialised): Airflow's default login path.
        return f"{DEFAULT_LOGIN_PATH}?{urlencode({'next': target})}"
