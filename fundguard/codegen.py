"""Generate the Python code for every contract under ``protos/``.

One command (``make proto`` or ``python -m fundguard.codegen``) regenerates everything;
a test regenerates into a scratch folder and fails if the result differs from what is
committed, so the generated code never drifts from the contracts.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Write ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` under ``out_dir``; return them."""
    import grpc_tools
    from google.rpc import status_pb2
    from grpc_tools import protoc  # dev dependency: only needed to regenerate

    files = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    # The well-known types ship with grpc_tools; google/rpc/*.proto with googleapis-common-protos.
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    googleapis = Path(status_pb2.__file__).parent.parent.parent
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"-I{googleapis}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))
    written: list[Path] = []
    for rel in files:
        pkg = out_dir / Path(rel).parent
        # Packages need an __init__ so that setuptools and mypy see them.
        for d in [pkg, *pkg.relative_to(out_dir).parents]:
            init = out_dir / d / "__init__.py"
            if d != Path(".") and not init.exists():
                init.write_text("")
        stem = Path(rel).stem
        written += [pkg / f"{stem}_pb2.py", pkg / f"{stem}_pb2.pyi", pkg / f"{stem}_pb2_grpc.py"]
    return written


def main() -> int:
    written = generate(ROOT)
    print(f"generated {len(written)} files from {len(proto_files())} contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
