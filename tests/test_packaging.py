"""Packaging promises: the version lives in one place, and a test run meant for an
installed wheel refuses any other w2v."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import w2v

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once():
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("run from a copy of the tests: no source tree to inspect")
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "w2v._version.__version__"
    holders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "src").rglob("*.py*")
               if f'"{w2v.__version__}"' in p.read_text(encoding="utf-8", errors="replace")]
    assert holders == ["src/w2v/_version.py"]


def test_the_installed_metadata_agrees():
    try:
        installed = metadata.version("w2v")
    except metadata.PackageNotFoundError:
        pytest.skip("w2v is not installed, only importable")
    if "site-packages" not in Path(w2v.__file__).parts:
        pytest.skip("the imported w2v is the source tree, the metadata an older install")
    assert installed == w2v.__version__


def _pytest_with_guard(tmp_path: Path, pythonpath: str) -> subprocess.CompletedProcess:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), run_dir)
    (run_dir / "test_import.py").write_text(
        "import w2v\n\ndef test_imports():\n    assert w2v.Word2Vec\n", encoding="utf-8")
    env = {**os.environ, "W2V_TEST_INSTALLED": "1", "PYTHONPATH": pythonpath}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(run_dir)], cwd=run_dir, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_w2v_outside_site_packages_is_refused(tmp_path):
    shadow = tmp_path / "checkout" / "w2v"  # like a source tree, compiled core included
    shutil.copytree(Path(w2v.__file__).parent, shadow,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyx", "*.c", "*.h"))
    result = _pytest_with_guard(tmp_path, str(shadow.parent))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "not from an installed wheel" in result.stdout + result.stderr
    assert str(shadow) in result.stdout + result.stderr
