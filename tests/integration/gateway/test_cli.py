"""`fundguard callers add|rotate|list|revoke|keygen` against the real store."""

from __future__ import annotations

import json

import pytest

from fundguard.cli import main
from gateway.auth import signed_headers
from gateway.secrets import new_key
from tests.integration.gateway.conftest import Gateway

pytestmark = pytest.mark.integration


def test_provision_rotate_list_revoke(gw: Gateway, migrated_url: str, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("FUNDGUARD_SECRET_KEY", base64.urlsafe_b64encode(gw.key).decode())
    assert main(["callers", "add", "cli-inst", "--role", "institution", "--scope", "H32118100064"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    assert gw.client.get("/api/v1/whoami", headers=signed_headers("cli-inst", token)).json()["role"] == "institution"

    assert main(["callers", "add", "cli-inst", "--role", "institution", "--scope", "H32118100064"]) == 2
    assert main(["callers", "add", "cli-bad", "--role", "platform", "--scope", "abc"]) == 2
    capsys.readouterr()

    assert main(["callers", "rotate", "cli-inst", "--grace-hours", "1"]) == 0
    new = json.loads(capsys.readouterr().out)["token"]
    assert new != token
    assert main(["callers", "list"]) == 0
    out = capsys.readouterr().out
    assert "cli-inst" in out and token not in out and new not in out

    assert main(["callers", "revoke", "cli-inst"]) == 0
    assert main(["callers", "revoke", "cli-inst"]) == 1
    gw.app.state.edge.auth._cache.clear()
    assert gw.client.get("/api/v1/whoami", headers=signed_headers("cli-inst", new)).status_code == 401


def test_keygen_and_a_missing_key_are_explained(monkeypatch: pytest.MonkeyPatch, migrated_url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["callers", "keygen"]) == 0
    assert len(capsys.readouterr().out.strip()) == len(new_key())
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.delenv("FUNDGUARD_SECRET_KEY", raising=False)
    monkeypatch.delenv("FUNDGUARD_SECRET_KEY_FILE", raising=False)
    assert main(["callers", "list"]) == 2
    assert "FUNDGUARD_SECRET_KEY" in capsys.readouterr().err
