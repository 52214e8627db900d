"""OpenAPI links: how the id an answer carries feeds the next request, so that a client (or a
stateful fuzzer such as schemathesis) can create a profile, then read, list, update and delete
it and what hangs off it (identities, addresses, custom attributes, dates), with ids that exist.

>>> profile_links()["GetProfile"]["parameters"]
{'path.profile_id': '$response.body#/data/id'}
"""

from __future__ import annotations

from typing import Any

PREFIX = "/api/v3"
PROFILE = "$response.body#/data/id"
# Operations that need a profile id and nothing else an earlier answer must supply (the key of
# a custom attribute is generated from its documented pattern).
PROFILE_TARGETS: dict[str, tuple[str, str]] = {
    "GetProfile": ("/profiles/{profile_id}", "get"),
    "UpdateProfile": ("/profiles/{profile_id}", "put"),
    "DeleteProfile": ("/profiles/{profile_id}", "delete"),
    "PurgeProfile": ("/profiles/{profile_id}/purge", "post"),
    "PurgeProfileByDelete": ("/profiles/{profile_id}/purge", "delete"),
    "UpdateType": ("/profiles/{profile_id}/update-type", "put"),
    "ListIdentities": ("/profiles/{profile_id}/identities", "get"),
    "AddIdentity": ("/profiles/{profile_id}/identities", "post"),
    "ListAddresses": ("/profiles/{profile_id}/addresses", "get"),
    "AddAddress": ("/profiles/{profile_id}/addresses", "post"),
    "ReadComms": ("/profiles/{profile_id}/attributes/comms", "get"),
    "UpdateComms": ("/profiles/{profile_id}/attributes/comms", "put"),
    "Subscribe": ("/profiles/{profile_id}/comms", "put"),
    "ListDates": ("/profiles/{profile_id}/attributes/dates", "get"),
    "PutDate": ("/profiles/{profile_id}/attributes/dates", "put"),
    "ReadAppearance": ("/profiles/{profile_id}/attributes/appearance", "get"),
    "UpdateAppearance": ("/profiles/{profile_id}/attributes/appearance", "put"),
    "ListCustomAttributes": ("/profiles/{profile_id}/attributes/custom", "get"),
    "PutCustomAttribute": ("/profiles/{profile_id}/attributes/custom/{key}", "put"),
}
# (path, method, status, JSON pointer of the profile id): the answers that carry a profile.
PROFILE_SOURCES = (
    ("/profiles", "post", "201", PROFILE),
    ("/profiles/sync", "post", "201", PROFILE),
    ("/profiles/sync", "post", "200", PROFILE),
    ("/profiles/{profile_id}", "put", "200", PROFILE),
    ("/profiles/{profile_id}/update-type", "put", "200", PROFILE),
)


def ref(path: str, method: str) -> str:
    """An ``operationRef`` (a JSON pointer into this document) for ``method`` on ``path``."""
    return "#/paths/" + (PREFIX + path).replace("~", "~0").replace("/", "~1") + "/" + method


def link(path: str, method: str, parameters: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"operationRef": ref(path, method), "parameters": parameters, **extra}


def profile_links(profile: str = PROFILE) -> dict[str, dict[str, Any]]:
    """The links of an answer carrying a profile, its id at ``profile``."""
    found = {
        name: link(path, method, {"path.profile_id": profile})
        for name, (path, method) in PROFILE_TARGETS.items()
    }
    if profile == PROFILE:
        found["FindByEmail"] = link(
            "/profiles", "get", {"query.filter[email]": "$response.body#/data/email"}
        )
        found["SearchById"] = link(
            "/profiles/search-id", "post", {},
            requestBody={"type": "profile_id", "id": PROFILE},
        )  # fmt: skip
        found["Availability"] = link(
            "/profiles/availability", "post", {},
            requestBody={"email": "$response.body#/data/email"},
        )  # fmt: skip
    return found


def _identity_links() -> dict[str, Any]:
    owner = {"path.profile_id": "$response.body#/data/profile_id"}
    by_handle = {**owner, "path.handle": "$response.body#/data/handle"}
    by_id = {**owner, "path.identity_id": "$response.body#/data/id"}
    found = {
        f"{verb}IdentityByHandle": link("/profiles/{profile_id}/identities/{handle}", m, by_handle)
        for verb, m in (("Get", "get"), ("Update", "put"), ("Delete", "delete"))
    } | {
        f"{verb}IdentityById": link("/profiles/{profile_id}/identities/id/{identity_id}", m, by_id)
        for verb, m in (("Get", "get"), ("Update", "put"), ("Delete", "delete"))
    }
    found["SearchIdentity"] = link(
        "/identities/search", "get",
        {"query.handle": "$response.body#/data/handle",
         "query.identifier": "$response.body#/data/identifier"},
    )  # fmt: skip
    found["ProfilesHoldingIdentifier"] = link(
        "/identities/search-profile/{identifier}", "get",
        {"path.identifier": "$response.body#/data/identifier"},
    )  # fmt: skip
    found["ListByHandle"] = link(
        "/identities", "get", {"query.filter[handle]": "$response.body#/data/handle"}
    )
    return found


def _address_links() -> dict[str, Any]:
    ids = {"path.profile_id": "$request.path.profile_id", "path.address_id": PROFILE}
    return {
        f"{verb}Address": link("/profiles/{profile_id}/addresses/{address_id}", m, ids)
        for verb, m in (("Get", "get"), ("Update", "put"), ("Delete", "delete"))
    }


def _custom_links() -> dict[str, Any]:
    ids = {
        "path.profile_id": "$response.body#/data/profile_id",
        "path.key": "{$response.body#/data/namespace}:{$response.body#/data/handle}",
    }
    found = {
        f"{verb}CustomAttribute": link("/profiles/{profile_id}/attributes/custom/{key}", m, ids)
        for verb, m in (("Get", "get"), ("Update", "put"), ("Delete", "delete"))
    }
    found["SearchCustomAttribute"] = link(
        "/profiles/attributes/custom", "get",
        {"query.attributes[0][namespace]": "$response.body#/data/namespace",
         "query.attributes[0][handle]": "$response.body#/data/handle"},
    )  # fmt: skip
    return found


def all_links() -> dict[tuple[str, str, str], dict[str, Any]]:
    """Links by (path, method, status) of the answer they follow."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path, method, status, pointer in PROFILE_SOURCES:
        found[(path, method, status)] = profile_links(pointer)
    identity = _identity_links()
    for source in (
        ("/profiles/{profile_id}/identities", "post", "201"),
        ("/profiles/{profile_id}/identities/{handle}", "put", "200"),
        ("/profiles/{profile_id}/identities/id/{identity_id}", "put", "200"),
    ):
        found[source] = identity
    for source in (
        ("/profiles/{profile_id}/addresses", "post", "201"),
        ("/profiles/{profile_id}/addresses/{address_id}", "put", "200"),
    ):
        found[source] = _address_links()
    found[("/profiles/{profile_id}/attributes/custom/{key}", "put", "200")] = _custom_links()
    dates = {"path.profile_id": "$request.path.profile_id", "path.date_id": PROFILE}
    found[("/profiles/{profile_id}/attributes/dates", "put", "200")] = {
        "DeleteDate": link("/profiles/{profile_id}/attributes/dates/{date_id}", "delete", dates)
    }
    found[("/profiles/batch", "post", "202")] = {
        "ReadBatch": link(
            "/batches/{batch_id}", "get", {"path.batch_id": "$response.body#/data/batch_id"}
        )
    }
    found[("/import-jobs", "post", "202")] = {
        "ReadImportJob": link("/import-jobs/{job_id}", "get", {"path.job_id": PROFILE})
    }
    return found


def add_links(spec: dict[str, Any]) -> None:
    """Install :func:`all_links` into the responses of ``spec`` (an answer documented first)."""
    for (path, method, status), links in all_links().items():
        operation = spec["paths"][PREFIX + path][method]
        operation["responses"].setdefault(status, {"description": "Success"})["links"] = links
