"""The image's hash-locked requirements stay in step with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_requirements_in_lists_exactly_the_runtime_dependencies() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    listed = [ln.strip() for ln in (ROOT / "deploy" / "requirements.in").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert sorted(d.split("#")[0].strip() for d in deps) == sorted(listed), \
        "deploy/requirements.in differs from [project].dependencies: regenerate it and the lock"


def test_the_lock_pins_every_runtime_dependency_with_hashes() -> None:
    lock = (ROOT / "deploy" / "requirements.lock").read_text()
    pinned = {_name(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+) \\$", lock, re.M)}
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for spec in deps:
        name = _name(spec)
        assert name in pinned, f"{name} is not in deploy/requirements.lock: re-run pip-compile"
        exact = re.search(r"==([^\s#,;]+)", spec)
        if exact:
            assert pinned[name] == exact.group(1), f"{name}: pyproject pins {exact.group(1)}, the lock {pinned[name]}"
    assert lock.count("--hash=sha256:") >= len(pinned)
