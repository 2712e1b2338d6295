"""The authorization endpoint: login (password + TOTP for staff), consent with scope
deselection, launch context selection, then the redirect with the code."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2.rfc6749.errors import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from caremesh.kernel.security.smart_scopes import split_scopes, within
from caremesh.kernel.security.tokens import shared_secret
from caremesh.modules.identity.api.oauth_routes import not_a_form, read_form
from caremesh.modules.identity.application.server import FormRequest, ServerDeps, SmartAuthorizationServer
from caremesh.modules.identity.application.users import UserRef
from caremesh.modules.identity.domain.errors import LoginFailed
from caremesh.modules.identity.domain.roles import PATIENT, scope_ceiling

SESSION_COOKIE = "caremesh_session"
_templates = Environment(
    loader=PackageLoader("caremesh.modules.identity.api", "templates"), autoescape=select_autoescape(["html"])
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def page(status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        _templates.get_template("page.html").render(**context), status_code=status, headers=SECURITY_HEADERS
    )


def csrf_token(session_id: str) -> str:
    return hmac.new(shared_secret().encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def _error_redirect(error: OAuth2Error) -> Response | None:
    if not error.redirect_uri:
        return None
    params = [("error", error.error), ("error_description", error.get_error_description() or "")]
    if error.state:
        params.append(("state", error.state))
    separator = "&" if "?" in error.redirect_uri else "?"
    return RedirectResponse(f"{error.redirect_uri}{separator}{urlencode(params)}", status_code=302)


def authorize_router(server: SmartAuthorizationServer, deps: ServerDeps) -> APIRouter:
    router = APIRouter(tags=["identity"])
    secure_cookie = deps.settings.issuer.startswith("https://")

    def oauth_request(request: Request, method: str, query: list[tuple[str, str]]) -> FormRequest:
        return FormRequest(method, f"{deps.settings.authorize_url}", request.headers, query)

    async def validated(
        request: Request, query: list[tuple[str, str]], user: UserRef | None, method: str = "GET"
    ) -> tuple[FormRequest, Any] | Response:
        """The validated request and grant, or the error answer (redirect when the client is known)."""
        await deps.ring.ready()
        aud = dict(query).get("aud", "").rstrip("/")
        if aud != deps.settings.fhir_base_url:
            return page(400, error="The 'aud' parameter does not name this FHIR server.")
        oauth = oauth_request(request, method, query)
        try:
            grant = await deps.bridge.call(server.get_consent_grant, oauth, user)
        except OAuth2Error as error:
            return _error_redirect(error) or page(400, error=error.get_error_description() or error.error)
        return oauth, grant

    @router.get("/identity/authorize")
    async def authorize(request: Request) -> Response:
        query = list(request.query_params.multi_items())
        user = await deps.users.session_user(request.cookies.get(SESSION_COOKIE))
        checked = await validated(request, query, user)
        if isinstance(checked, Response):
            return checked
        oauth, _ = checked
        context = {"client_name": oauth.client.record.name, "request_query": urlencode(query)}
        if user is None:
            return page(page="login", **context)
        scopes = within(scope_ceiling(user.role), split_scopes(oauth.scope))
        ask_patient = "launch/patient" in scopes and user.role != PATIENT
        return page(
            page="consent",
            username=user.username,
            scopes=scopes,
            ask_patient=ask_patient,
            csrf=csrf_token(request.cookies[SESSION_COOKIE]),
            **context,
        )

    @router.post("/identity/login")
    async def login(request: Request) -> Response:
        pairs = await read_form(request)
        if pairs is None:
            return not_a_form()
        form = dict(pairs)
        query = form.get("request", "")
        try:
            user = await deps.users.authenticate(
                form.get("username", ""), form.get("password", ""), form.get("otp")
            )
        except LoginFailed as failed:
            return page(
                401, page="login", error=str(failed), request_query=query, client_name="The application"
            )
        session_id = await deps.users.start_session(user)
        response = RedirectResponse(f"/identity/authorize?{query}", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            httponly=True,
            secure=secure_cookie,
            samesite="lax",
            path="/identity",
            max_age=int(deps.settings.session_absolute.total_seconds()),
        )
        return response

    @router.post("/identity/logout")
    async def logout(request: Request) -> Response:
        if await read_form(request) is None:
            return not_a_form()
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            await deps.users.end_session(session_id)
        response = page(page="done")
        response.delete_cookie(SESSION_COOKIE, path="/identity")
        return response

    @router.post("/identity/authorize")
    async def consent(request: Request) -> Response:
        pairs = await read_form(request)
        if pairs is None:
            return not_a_form()
        form = dict(pairs)
        session_id = request.cookies.get(SESSION_COOKIE, "")
        user = await deps.users.session_user(session_id)
        if user is None or not hmac.compare_digest(form.get("csrf", ""), csrf_token(session_id)):
            return page(401, error="Your session has ended; sign in again.")
        query = parse_qsl(form.get("request", ""), keep_blank_values=True)
        requested = split_scopes(dict(query).get("scope"))
        selected = set(split_scopes(" ".join(value for key, value in pairs if key == "scope")))
        # What the consent page offered (the request cut to the role), minus what the user unticked.
        chosen = [scope for scope in within(scope_ceiling(user.role), requested) if scope in selected]
        approved = form.get("decision") == "approve" and bool(chosen)
        query = [(k, v) for k, v in query if k != "scope"] + [("scope", " ".join(chosen or requested))]
        checked = await validated(request, query, user, method="POST")
        if isinstance(checked, Response):
            return checked
        oauth, grant = checked
        if approved:
            oauth.launch_context = _launch_context(user, chosen, form)
            if "launch/patient" in chosen and not oauth.launch_context.get("patient"):
                return page(400, error="Choose the patient this application may access.")
        status, _, headers = await deps.bridge.call(
            lambda: server.create_authorization_response(oauth, user if approved else None, grant)
        )
        return RedirectResponse(dict(headers)["Location"], status_code=302 if status == 302 else 303)

    return router


def _launch_context(user: UserRef, scopes: list[str], form: dict[str, str]) -> dict[str, str]:
    context: dict[str, str] = {}
    if user.role == PATIENT and user.patient_id:
        context["patient"] = user.patient_id
    elif "launch/patient" in scopes and form.get("patient", "").strip():
        context["patient"] = form["patient"].strip()
    if "launch/encounter" in scopes and form.get("encounter", "").strip():
        context["encounter"] = form["encounter"].strip()
    return context
