"""``fundguard credit policy`` checks a policy file before it is deployed."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from services.credit.cli import cmd_policy
from services.credit.domain.policy import DEFAULT_POLICY


def test_policy_check_accepts_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_policy(argparse.Namespace(file=str(DEFAULT_POLICY))) == 0
    assert "suspend at 9, terminate at 12" in capsys.readouterr().out


def test_policy_check_names_the_bad_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(DEFAULT_POLICY.read_text().replace("[cases]", "[casez]"))
    assert cmd_policy(argparse.Namespace(file=str(bad))) == 2
    assert "missing key cases.large" in capsys.readouterr().err
