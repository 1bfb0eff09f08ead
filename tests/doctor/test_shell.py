"""``threecx-xapi doctor`` as real processes sharing the token store, as two tools on one machine do: the second
run reuses the first one's token instead of revoking it (3CX keeps one live token per API client)."""

from __future__ import annotations

import json
from pathlib import Path

from threecx_xapi.testing import XAPITestServer

from ..cli.conftest import Shell, server_env
from .conftest import JWT


def test_a_second_process_reuses_the_stored_token(tmp_path: Path, server: XAPITestServer) -> None:
    shell = Shell(tmp_path, server_env(server))

    first = shell("doctor", "--format", "json", "--area", "users")
    second = shell("doctor", "--format", "json", "--area", "users")

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    tokens = [json.loads(run.stdout)["checks"][4] for run in (first, second)]
    assert [token["details"]["fetched"] for token in tokens] == [True, False]
    assert tokens[1]["summary"].startswith("client id 'test-client': a token is held (this process or the token store)")
    assert [request.path for request in server.requests].count("/connect/token") == 1
    clocks = [json.loads(run.stdout)["checks"][5]["details"]["source"] for run in (first, second)]
    assert clocks == ["the new token's iat", "the PBX's Date header"]  # a stored token's iat is not "now"
    for run in (first, second):
        assert server.client_secret not in run.stdout + run.stderr
        assert not JWT.search(run.stdout + run.stderr)
    stored = list((tmp_path / "tokens").iterdir())
    assert stored  # the token is on disk (owner-only) for the next process, as the README says
