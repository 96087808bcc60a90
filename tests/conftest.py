"""Session checks: which w2v the tests run against, and, when asked, that it is an
installed one (a wheel) rather than the source tree."""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path

import pytest


def _package() -> tuple[Path, Path]:
    import w2v
    import w2v._core

    return Path(w2v.__file__).resolve().parent, Path(w2v._core.__file__).resolve()


def pytest_report_header(config: pytest.Config) -> str:
    import w2v
    import w2v._core

    package, core = _package()
    return f"w2v {w2v.__version__} from {package} (core {core.name}, {w2v._core.simd_path()})"


def pytest_configure(config: pytest.Config) -> None:
    """With ``W2V_TEST_INSTALLED`` set (tools/check_dist.sh, cibuildwheel), stop before
    any test unless w2v comes from this interpreter's site-packages with its compiled
    core: a test run that quietly imported the source tree would prove nothing about
    the wheel."""
    if not os.environ.get("W2V_TEST_INSTALLED"):
        return
    package, core = _package()
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    if "site-packages" not in package.parts or not any(
            prefix in package.parents for prefix in prefixes):
        raise pytest.UsageError(f"W2V_TEST_INSTALLED: w2v was imported from {package}, "
                                "not from an installed wheel in this environment")
    if not any(core.name.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES):
        raise pytest.UsageError(f"W2V_TEST_INSTALLED: w2v._core is {core}, not compiled")
    stray = [p.name for p in package.iterdir() if p.suffix in (".pyx", ".c", ".h")]
    if stray:
        raise pytest.UsageError(f"W2V_TEST_INSTALLED: sources in the installed package: {stray}")
