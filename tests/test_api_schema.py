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
