#!/usr/bin/env bash
# Types, checked (issue 17): mypy over src/w2v (settings in pyproject.toml), then the
# compiled modules' .pyi stubs against the built extensions with mypy's stubtest.
# Needs w2v installed (the extensions built) and mypy: pip install ".[typecheck]".
set -euo pipefail
cd "$(dirname "$0")/.."
python -m mypy
# --ignore-disjoint-bases: PEP 800 markers are not in the Pythons we support (3.10+)
python -m mypy.stubtest w2v._core w2v._scan --ignore-disjoint-bases \
    --allowlist tools/stubtest_allowlist.txt
