#!/usr/bin/env bash
# Build both compiled extensions (w2v._core from _core.pyx + _vecops.h, w2v._scan from
# _scan.pyx) with AddressSanitizer and UndefinedBehaviorSanitizer, and run the test suite
# against that build. Exits non-zero on any sanitizer report, and on a test failure.
#
# How:
#   1. src/, setup.py, pyproject.toml, README.md, LICENSE and MANIFEST.in are copied into
#      a temporary directory (removed on exit), without any compiled or generated file,
#      and built there with `setup.py build_ext --inplace --parallel $(nproc)`: the
#      in-place build in the source tree is never touched.
#      CFLAGS/LDFLAGS (after any from the environment): -fsanitize=address,undefined,
#      float-cast-overflow (a float -> int conversion out of range, e.g. of a NaN, is
#      undefined behaviour too, but not in gcc's "undefined" group),
#      -fno-sanitize-recover=all, -fno-omit-frame-pointer, -O1, -g.
#      Newer setuptools *replace* Python's own CFLAGS with $CFLAGS (older ones appended
#      them), so Python's -fwrapv, which silences the signed-overflow check, may or may
#      not be there: -fno-wrapv makes signed integer overflow reported either way (MSVC,
#      which builds the Windows wheels, has no -fwrapv). setup.py appends -O3
#      -fno-math-errno after CFLAGS, so the -O1 given here loses to -O3 (fine with ASan);
#      W2V_DEBUG_SYMBOLS=1 stops setup.py adding -g0. The compile commands are printed,
#      and both modules are checked for ASan and UBSan calls and debug information.
#      UBSan's runtime is linked statically into each module, its symbols kept local
#      (-static-libubsan -Wl,--exclude-libs,ALL): gcc's shared libubsan next to libasan
#      binds __sanitizer_set_report_path to libasan's copy, so it ignores log_path and
#      writes to stderr, where pytest's capture or a test's subprocess pipe swallows it.
#   2. The tests run with the sanitized build first on the import path
#      (PYTHONPATH=<tmp>/src:<repo>/tests), with gcc's libasan in LD_PRELOAD (Python
#      itself is not instrumented; the ASan runtime must come first) followed by
#      libstdc++ (so that ASan's __cxa_throw interceptor works for C++ extensions loaded
#      later, such as matplotlib's), PYTHONMALLOC=malloc (so that ASan sees Python's
#      small objects too, not only pymalloc's arenas) and:
#        ASAN_OPTIONS:  detect_leaks=0 (CPython's allocations look like leaks),
#                       abort_on_error=1, allocator_may_return_null=1 (a huge allocation
#                       raises MemoryError as it would without ASan), log_path;
#        UBSAN_OPTIONS: print_stacktrace=1, halt_on_error=1, abort_on_error=1, log_path.
#      Every report therefore lands in a file under the temp directory, also from the
#      subprocesses that tests start (the CLI, the bit-identity checks), whose failure a
#      test may expect or whose stderr it inspects: the run fails if any report exists,
#      whatever pytest said. A report in the pytest process itself also aborts it
#      (faulthandler names the test). Before pytest, a check that the imported w2v._core
#      and w2v._scan are the sanitized ones in the temp directory.
#   3. The verdict tells a sanitizer report (printed in full; exit 1) from ordinary test
#      failures or Python exceptions (no report; pytest's own exit status). ASan's
#      "failed to allocate" warning (the MemoryError case above) is shown, not failed on.
#
# Usage: [PYTHON=python3.x] bash tools/sanitize.sh [pytest args]
#   from anywhere; pytest runs from the repository root, so paths in the arguments are
#   relative to it, e.g.  bash tools/sanitize.sh -k kernel
#                         bash tools/sanitize.sh tests/test_scan.py -x
#        bash tools/sanitize.sh --exec python tools/fuzz_campaign.py --inputs 1000
#   --exec runs that command instead of pytest (same environment, same verdict on reports).
# Here (2 cores) the build takes about 20 s and the whole suite 1.5 to 2 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$(command -v python3 || command -v python)}"
if [[ "$python" == */* && "$python" != /* ]]; then  # a relative PYTHON=, before any cd
    python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

say() { printf '\n== %s\n' "$*"; }

say "build: sanitized extensions in $work"
PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet "setuptools>=77" cython numpy
cp -r "$root/src" "$root/setup.py" "$root/pyproject.toml" "$root/README.md" \
    "$root/LICENSE" "$root/MANIFEST.in" "$work/"
# Nothing compiled or generated may come along: the build must produce both modules.
find "$work/src" \( -name '*.so' -o -name '*.pyd' -o -name '_core.c' -o -name '_scan.c' \
    -o -name '__pycache__' \) -prune -exec rm -rf {} +
sanitize=("-fsanitize=address,undefined,float-cast-overflow" -fno-sanitize-recover=all
          -fno-omit-frame-pointer -fno-wrapv -O1 -g)
(
    cd "$work"
    export CFLAGS="${CFLAGS:-} ${sanitize[*]}"
    export LDFLAGS="${LDFLAGS:-} ${sanitize[*]} -static-libubsan -Wl,--exclude-libs,ALL"
    W2V_DEBUG_SYMBOLS=1 "$python" setup.py build_ext --inplace --parallel "$(nproc)" \
        > "$work/build.log" 2>&1
) || { tail -n 60 "$work/build.log"; echo "sanitize.sh: the build failed" >&2; exit 1; }
grep -E -- ' -c src/w2v/_(core|scan)\.c ' "$work/build.log" | sort -u || true

modules=()
for name in _core _scan; do
    so=("$work"/src/w2v/"$name".*.so)
    [[ -f "${so[0]}" ]] || { echo "sanitize.sh: no $name module was built" >&2; exit 1; }
    modules+=("${so[0]}")
done
for so in "${modules[@]}"; do
    # Flags that lost to later ones would show here: no ASan or UBSan calls, or -g0; and a
    # shared libubsan (a compiler that ignored -static-libubsan) would lose its reports.
    symbols="$(nm "$so")"
    dynamic="$(nm -D --undefined-only "$so")"
    libraries="$(ldd "$so")"
    sections="$(readelf -S "$so")"
    grep -q __asan_init <<< "$dynamic" \
        || { echo "sanitize.sh: $so makes no ASan calls: not instrumented" >&2; exit 1; }
    grep -q __ubsan_handle_ <<< "$symbols" \
        || { echo "sanitize.sh: $so makes no UBSan calls: not instrumented" >&2; exit 1; }
    if grep -q libubsan <<< "$libraries"; then
        echo "sanitize.sh: $so links the shared libubsan, whose reports ignore log_path" >&2
        exit 1
    fi
    grep -q '\.debug_info' <<< "$sections" \
        || { echo "sanitize.sh: $so has no debug information" >&2; exit 1; }
done
echo "instrumented (ASan + UBSan, with debug information): ${modules[*]##*/}"

# The ASan runtime these modules link against, so that preload and link agree.
libasan="$(ldd "${modules[0]}" | awk 'index($1, "libasan.so") == 1 { print $3 }')"
[[ -f "$libasan" ]] || { echo "sanitize.sh: ldd finds no libasan" >&2; exit 1; }
build_time=$((SECONDS - start))

reports="$work/reports"
mkdir "$reports"
# libstdc++ too, from the start: ASan intercepts __cxa_throw only if libstdc++ is there
# when it starts, and a C++ extension loaded later (matplotlib's ft2font) that throws
# would otherwise stop the run with "CHECK failed: ... real___cxa_throw".
export LD_PRELOAD="$libasan libstdc++.so.6"
# SANITIZE_ASAN_OPTIONS adds options, e.g. max_allocation_size_mb=512 (tools/fuzz_campaign.py)
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:log_path=$reports/asan${SANITIZE_ASAN_OPTIONS:+:$SANITIZE_ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$reports/ubsan"
export PYTHONMALLOC=malloc
export PYTHONPATH="$work/src:$root/tests"
cd "$root"

# Print the sanitizer reports (if any) and exit 1 if there was one; notes (ASan's warning
# that an allocation failed and returned NULL, as a test may intend) are only shown.
check_reports() {
    local report found=() notes=()
    shopt -s nullglob
    for report in "$reports"/*; do
        if grep -Evq \
                '^(==[0-9]+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes)?$' \
                "$report"; then
            found+=("$report")
        else
            notes+=("$report")
        fi
    done
    for report in "${notes[@]}"; do
        printf -- '--- %s (an allocation failed, as a test may intend; not a failure)\n' \
            "${report##*/}"
        cat "$report"
    done
    ((${#found[@]})) || return 0
    for report in "${found[@]}"; do
        printf -- '--- %s\n' "${report##*/}"
        cat "$report"
    done
    echo "sanitize.sh: FAILED: ${#found[@]} sanitizer report(s) above ($1)" >&2
    exit 1
}

say "import check: w2v's compiled modules must be the sanitized build"
status=0
"$python" - "$work" <<'EOF' || status=$?
import sys
from pathlib import Path

import w2v._core
import w2v._scan

work = Path(sys.argv[1]).resolve()
for module in (w2v._core, w2v._scan):
    path = Path(module.__file__).resolve()
    print(f"{module.__name__}: {path}")
    if work not in path.parents:
        sys.exit(f"sanitize.sh: {module.__name__} is {path}, not the sanitized build in {work}")
print(f"w2v {w2v.__version__}, kernel path {w2v._core.simd_path()}")
EOF
if ((status != 0)); then
    check_reports "the import check exited $status"
    exit 1
fi

# Without arguments: the whole suite, the Dask tests included (their worker processes
# load the sanitized build too). A hang there fails with a traceback after 10 minutes
# (tests/test_distributed.py arms faulthandler); the one hang seen, a scatter waiting on
# a dead worker, is gone with the scatter.
tests_start=$SECONDS
status=0
if [[ "${1:-}" == --exec ]]; then
    shift
    say "command: $*"
    "$@" || status=$?
else
    say "tests: $python -m pytest -q -p no:cacheprovider $*"
    "$python" -m pytest -q -p no:cacheprovider "$@" || status=$?
fi
tests_time=$((SECONDS - tests_start))

say "verdict (build ${build_time}s, tests ${tests_time}s)"
check_reports "exit $status"
if ((status > 128)); then
    echo "sanitize.sh: the run died of signal $((status - 128)) without a sanitizer report" >&2
    exit "$status"
fi
if ((status != 0)); then
    echo "sanitize.sh: the run exited $status; no sanitizer report (failures or errors)" >&2
    exit "$status"
fi
echo "sanitize.sh: OK: no sanitizer report, tests passed"
