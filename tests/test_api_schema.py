"""schemathesis against the running server's /openapi.json: generated requests never get a 5xx.

(schemathesis' pytest plugin does not work with this pytest; its Python API drives hypothesis directly here.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from bench.server_process import ServerProcess


@pytest.fixture(scope="module")
def api_server(tiny_checkpoint, tmp_path_factory):
    with ServerProcess("--model", str(tiny_checkpoint), "--offline", env={"SEGCHAT_THRESHOLD": "0.5"},
                       data_dir=tmp_path_factory.mktemp("schemathesis")) as server:
        yield server


def test_no_operation_gives_a_server_error(api_server):
    schema = schemathesis.openapi.from_url(api_server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/segment", "/v1/detect", "/v1/sessions"}
    calls = []
    for operation in operations:
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy())
        def check(case):
            response = case.call_and_validate(checks=[not_a_server_error], timeout=60)
            calls.append((operation.path, response.status_code))

        check()
    assert len(calls) >= 2 * len(operations)
    assert {path for path, _ in calls} == {op.path for op in operations}


def refs_in(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in refs_in(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs_in(item)]
    return []


def test_the_document_names_each_result_and_every_reference_resolves():
    """The routes return their typed results themselves (serialized once, no `response_model` round trip): the
    OpenAPI document must still name each result's schema, and every `$ref` in it must point at something (a body
    schema copied in with its own `$defs` once pointed at nothing)."""
    from segchat.contracts.settings import Settings
    from segchat.faces.rest import create_app

    spec = create_app(None, Settings()).openapi()  # the document needs no agent
    named = {("/v1/segment", "post", "200"): "AgentResult", ("/v1/sessions/{session_id}/messages", "post", "200"):
             "AgentResult", ("/v1/detect", "post", "200"): "SegmentationResult",
             ("/v1/sessions/{session_id}", "get", "200"): "SessionHistory", ("/v1/sessions", "post", "201"):
             "SessionCreated", ("/v1/segment", "post", "503"): "ErrorResponse"}
    for (path, method, status), model in named.items():
        schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, (path, status)
    for ref in refs_in(spec):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref
    body = spec["paths"]["/v1/segment"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["exemplars"]["items"]["properties"]["box"]["minItems"] == 4
