"""The served OpenAPI description lists every endpoint and its references resolve."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import both_answer_styles

ENDPOINTS = {
    "/profiles": {"get", "post"},
    "/profiles/{profile_id}": {"get", "put", "delete"},
    "/profiles/{profile_id}/purge": {"post", "delete"},
    "/profiles/search-id": {"post"},
    "/profiles/availability": {"post"},
    "/profiles/sync": {"post"},
    "/profiles/batch": {"post"},
    "/batches/{batch_id}": {"get"},
    "/import-jobs": {"post"},
    "/import-jobs/{job_id}": {"get"},
    "/profiles/{profile_id}/identities": {"get", "post"},
    "/profiles/{profile_id}/identities/{handle}": {"get", "put", "delete"},
    "/profiles/{profile_id}/identities/id/{identity_id}": {"get", "put", "delete"},
    "/identities": {"get"},
    "/identities/search": {"get"},
    "/identities/search-profile/{identifier}": {"get"},
    "/profiles/{profile_id}/attributes/comms": {"get", "put"},
    "/profiles/{profile_id}/comms": {"put"},
    "/profiles/{profile_id}/attributes/dates": {"get", "put"},
    "/profiles/{profile_id}/attributes/dates/{date_id}": {"delete"},
    "/profiles/{profile_id}/attributes/custom": {"get"},
    "/profiles/{profile_id}/attributes/appearance": {"get", "put"},
    "/profiles/{profile_id}/attributes/custom/{key}": {"get", "put", "delete"},
    "/profiles/attributes/custom": {"get"},
    "/profiles/{profile_id}/update-type": {"put"},
    "/profiles/{profile_id}/addresses": {"get", "post"},
    "/profiles/{profile_id}/addresses/{address_id}": {"get", "put", "delete"},
}


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(value) for value in node))
    return set()


@both_answer_styles
def test_openapi_describes_every_endpoint(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    paths = {path.removeprefix("/api/v3"): set(ops) for path, ops in spec["paths"].items()}
    assert paths == ENDPOINTS
    schemas = spec["components"]["schemas"]
    for ref in refs(spec):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    create = spec["paths"]["/api/v3/profiles"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProfileInput"
    }
    assert "201" in create["responses"]
    invalid = create["responses"]["422"]["content"]["application/json"]["schema"]
    assert invalid == {"$ref": "#/components/schemas/ValidationErrorBody"}
    assert "HTTPValidationError" not in schemas
    assert {"400", "401", "403", "404", "429", "503"} <= set(create["responses"])
    assert "email" in schemas["Profile"]["required"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_list_answers_match_their_models(api: httpx.Client) -> None:
    """The list routes send their pages without FastAPI's re-validation: check them here."""
    from reconcile.sandbox.schemas.answers import IdentityPage, ProfilePage

    body = {
        "email": "m@example.com",
        "mobile_phone": "+61412345678",
        "birth_day": 2,
        "birth_month": 3,
        "birth_year": 1990,
        "identities": [{"handle": "h", "identifier": "1"}],
        "custom_attributes": [{"namespace": "n", "handle": "k", "type": "json", "value": {"a": 1}}],
        "dates_attributes": [{"date": "2015-03-14", "handle": "wedding", "meta": {"a": [1]}}],
        "addresses": [
            {
                "address_line_1": "1 St",
                "city": "Sydney",
                "postcode": "2000",
                "country": "AU",
                "state": "NSW",
            }
        ],
    }
    assert api.post("/profiles", json=body).status_code == 201
    ProfilePage.model_validate(api.get("/profiles").json())
    ProfilePage.model_validate(api.get("/profiles", params={"search": "m@example.com"}).json())
    params = {"attributes[0][namespace]": "n", "attributes[0][handle]": "k"}
    ProfilePage.model_validate(api.get("/profiles/attributes/custom", params=params).json())
    IdentityPage.model_validate(api.get("/identities", params={"include": "profile"}).json())
    IdentityPage.model_validate(api.get("/identities").json())


FILL = {
    "{profile_id}": "00000000-0000-4000-8000-000000000000",
    "{handle}": "pos",
    "{identity_id}": "1",
    "{key}": "loyalty:tier",
    "{batch_id}": "missing",
    "{job_id}": "missing",
    "{identifier}": "nobody",
    "{address_id}": "1",
    "{date_id}": "1",
}
READ_ONLY_POSTS = ("/profiles/search-id", "/profiles/availability")


@both_answer_styles
def test_every_endpoint_refuses_strangers_readers_and_unknown_ids(
    api: httpx.Client, reader: httpx.Client
) -> None:
    """A failure of every endpoint: 401 without a token, 403 for a read token on a write, and 404
    for an unknown profile, batch or import job (before any body validation, as Laravel does)."""
    spec = api.get("/openapi.json").json()
    with httpx.Client(base_url=api.base_url) as stranger:
        for raw_path, operations in spec["paths"].items():
            path = raw_path.removeprefix("/api/v3")
            url = path
            for placeholder, value in FILL.items():
                url = url.replace(placeholder, value)
            for method in operations:
                options = {} if method in ("get", "delete") else {"json": {}}
                assert stranger.request(method, url, **options).status_code == 401, (method, url)
                if method != "get" and path not in READ_ONLY_POSTS:
                    assert reader.request(method, url, **options).status_code == 403, (method, url)
                if "{" in path and "{identifier}" not in path:
                    answer = api.request(method, url, **options)
                    assert answer.status_code == 404, (method, url, answer.text)
