"""Schema-driven fuzzing of the whole OpenAPI surface: for every operation, requests built
from its own schema (valid and invalid), as every role. Whatever arrives, the gateway
answers without a crash: never a 5xx other than 501 (an RPC claims does not implement
yet), never a stack trace, and errors in problem+json (the national envelope on its path)."""

from __future__ import annotations

import base64
import string
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.gateway.conftest import NATIONAL, ROLE_CALLER, Gateway

pytestmark = pytest.mark.integration

# Writes whose schema-valid bodies would change what other tests rely on (the catalogue in
# force, callers' tokens, the monthly cycle): fuzzed with junk only.
JUNK_ONLY = {("POST", "/api/v1/catalogues"), ("POST", "/api/v1/callers/{caller_id}/rotate"),
             ("DELETE", "/api/v1/callers/{caller_id}"), ("POST", "/api/v1/cycles/{period}/publish"),
             ("POST", "/api/v1/cycles/confirm-due"), ("POST", "/api/v1/audit-runs")}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24)


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def from_schema(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = resolve(schema, spec)
    if depth > 4:
        return JSON
    if "anyOf" in schema:
        return st.one_of([from_schema(s, spec, depth + 1) for s in schema["anyOf"]])
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True) | TEXT
        return st.text(max_size=min(int(schema.get("maxLength", 30)), 30))
    if kind == "integer":
        return st.integers(int(schema.get("minimum", -5)) - 1, int(schema.get("maximum", 2000)) + 1)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=100)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), spec, depth + 1), max_size=3)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: from_schema(v, spec, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, spec, depth + 1) for k, v in props.items() if k not in required})
    return JSON


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), path, op) for path, item in spec["paths"].items() for m, op in item.items()]


@pytest.fixture(scope="module")
def spec(gw: Gateway) -> dict[str, Any]:
    return dict(gw.client.get("/openapi.json").json())


def test_the_document_lists_every_area(spec: dict[str, Any]) -> None:
    paths = set(spec["paths"])
    assert NATIONAL in paths
    assert {"/api/v1/uploads/fee-details", "/api/v1/disclosures", "/api/v1/agencies/{agency}/feed",
            "/api/v1/callers", "/api/v1/rules"} <= paths
    assert len(operations(spec)) >= 30


@st.composite
def request_for(draw: st.DrawFn, spec: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> dict[str, Any]:
    url = path
    params: dict[str, Any] = {}
    for p in op.get("parameters", []):
        if p["in"] == "path":
            value = draw(from_schema(p.get("schema", {}), spec) | TEXT)
            url = url.replace("{" + p["name"] + "}", quote(str(value), safe="") or "x")
        elif p["in"] == "query" and draw(st.booleans()):
            params[p["name"]] = draw(from_schema(p.get("schema", {}), spec) | TEXT)
    req: dict[str, Any] = {"method": method, "url": url, "params": params}
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        valid = from_schema(content["application/json"]["schema"], spec)
        req["json"] = draw(JSON if (method, path) in JUNK_ONLY else (valid | JSON))
    elif content:
        media = draw(st.sampled_from(sorted(content)))
        lines = draw(st.lists(JSON | st.text(alphabet=string.printable, max_size=30), max_size=5))
        req["content"] = "\n".join(str(x) for x in lines).encode()
        req["headers"] = {"content-type": media}
    return req


OPS: list[tuple[str, str]] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "operation" in metafunc.fixturenames:
        from gateway.rest import ROUTE_ROLES

        ops = sorted(ROUTE_ROLES) + [("POST", NATIONAL)]
        metafunc.parametrize("operation", ops, ids=[f"{m}:{p}" for m, p in ops])


def test_fuzz_operation(gw: Gateway, spec: dict[str, Any], operation: tuple[str, str]) -> None:
    method, path = operation
    op = spec["paths"][path][method.lower()]

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(req=request_for(spec, method, path, op), role=st.sampled_from(sorted(ROLE_CALLER)))
    def run(req: dict[str, Any], role: str) -> None:
        if "seconds" in req["params"]:
            req["params"]["seconds"] = 1  # an event stream is bounded in time
        headers = {**gw.headers(ROLE_CALLER[role]), **req.pop("headers", {})}
        r = gw.client.request(headers=headers, **req)
        assert r.status_code < 500 or r.status_code == 501, (role, req, r.status_code, r.text[:500])
        assert "Traceback" not in r.text
        if r.status_code >= 400:
            if path == NATIONAL:
                assert r.json()["infcode"] == -1
            else:
                assert r.headers["content-type"].startswith("application/problem+json"), r.text[:200]
                assert r.json()["status"] == r.status_code

    run()


def test_a_token_that_decodes_but_was_never_issued_is_a_400_naming_page_token(gw: Gateway) -> None:
    # What the fuzzing once hit by chance: base64 of text that is not a cursor.
    token = base64.urlsafe_b64encode(b"abc").decode()
    r = gw.client.get("/api/v1/disclosures", params={"page_token": token}, headers=gw.headers(ROLE_CALLER["public"]))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "page_token" in r.text
