"""Paths no FHIR interaction matches, and bugs the fuzzers found (now fixed: these guard them)."""

from __future__ import annotations

from robustness_app import ALL_IN_ONE, BASE, FHIR_JSON, RunningApp, assert_outcome, running

ROUTED = (
    ("GET", "/Patient/a%20b", 400),  # reaches the read handler: not a FHIR id
    ("GET", "/Patient/" + "a" * 65, 400),  # ids are at most 64 characters
    ("GET", "/Nope/1", 404),  # shaped like a type, but no R4 type
    ("POST", "/Patient/1", 405),
    ("DELETE", "/Patient/_search", 405),
    ("DELETE", "", 405),  # the base takes GET (search) and POST (batch/transaction) only
    ("PUT", "", 405),
)
NOT_ROUTED = (
    ("GET", "/patient"),  # a lower-case type
    ("GET", "/Patient/1/_history/1/extra"),  # too many segments
    ("GET", "/Patient/"),  # redirected (307) to a search of every Patient
    ("GET", "/Patient/%2F"),  # an encoded "/" in an id: the same redirect
    ("PUT", "/Patient/%2F"),  # redirected to a conditional update
)
SCHEDULING_IDS_WITH_NUL = (
    "/v1/appointments?patient_id=a%00b", "/v1/slots?schedule_id=%00", "/v1/schedules?practitioner_id=%00",
    "/v1/schedules/a%00b", "/v1/appointments/a%00b",
)  # fmt: skip


async def test_paths_the_router_routes_answer_outcomes(app: RunningApp) -> None:
    for method, path, status in ROUTED:
        response = await app.client.request(method, BASE + path)
        assert response.status_code == status, (method, path, response.text)
        assert_outcome(response)


async def test_paths_no_fhir_route_matches_answer_outcomes(app: RunningApp) -> None:
    for method, path in NOT_ROUTED:
        response = await app.client.request(
            method, BASE + path, content=b"{}", headers={"content-type": FHIR_JSON}
        )
        assert_outcome(response)


async def test_nul_in_a_scheduling_id_is_not_a_server_error(database_url: str) -> None:
    # PostgreSQL refuses NUL in text; the kernel's adapter turns that into a 400 for every module.
    async with running(database_url, modules=tuple(ALL_IN_ONE)) as app:
        for path in SCHEDULING_IDS_WITH_NUL:
            response = await app.client.get(path)
            assert 400 <= response.status_code < 500 or (
                response.status_code == 200 and database_url.startswith("sqlite")
            ), (path, response.status_code, response.text)
