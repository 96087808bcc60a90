#!/usr/bin/env bash
# Compile w2v's C for the wheel targets with clang, all warnings on, and treat any
# warning as an error:
#   1. tools/vecops_check.c (the kernel's SIMD and portable helpers, src/w2v/_vecops.h)
#      for every platform a wheel is built for: manylinux (glibc 2.17) x86_64 and
#      aarch64, musllinux x86_64, macOS x86_64 and arm64, Windows x86_64 (MinGW ABI;
#      MSVC itself is checked by the Windows jobs of .github/workflows), then run here,
#      where every path the CPU has must agree with plain loops;
#   2. both whole extensions (the Cython-generated C) for this machine, with the
#      compiler flags setup.py gives a distributed build.
# clang comes from the `ziglang` package (zig cc), so nothing but pip is needed.
#
# Usage: bash tools/check_c_portability.sh   (from anywhere; exits non-zero on a warning)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python -m pip install --quiet "ziglang==0.17.1" "cython>=3.0" "setuptools>=77" numpy
cc="$work/clang"
printf '#!/bin/sh\nexec %q -m ziglang cc "$@"\n' "$(command -v python)" > "$cc"
chmod +x "$cc"
"$cc" --version | head -n 1

warnings=(-std=c99 -O2 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)
targets=(native x86_64-linux-gnu.2.17 aarch64-linux-gnu.2.17 x86_64-linux-musl
         x86_64-macos aarch64-macos x86_64-windows-gnu)
for target in "${targets[@]}"; do
    "$cc" -target "$target" "${warnings[@]}" -I"$root/src/w2v" \
        -c "$root/tools/vecops_check.c" -o "$work/vecops-$target.o"
    echo "vecops: $target compiles without warnings"
done
"$cc" "${warnings[@]}" -I"$root/src/w2v" "$root/tools/vecops_check.c" -lm -o "$work/vecops"
"$work/vecops"

# The whole extensions, built out of tree (the in-place build is left alone).
cp -r "$root/src" "$root/setup.py" "$root/pyproject.toml" "$root/README.md" "$work/"
rm -f "$work"/src/w2v/*.so "$work"/src/w2v/*.c
(
    cd "$work"
    CC="$cc" LDSHARED="$cc -shared" CFLAGS="-Wall -Wextra" \
        python setup.py -q build_ext -b "$work/build" -t "$work/tmp" > "$work/build.log" 2>&1 \
        || { cat "$work/build.log"; exit 1; }
)
if grep -E "(warning|error):" "$work/build.log"; then
    echo "clang warned while compiling the extensions (above)" >&2
    exit 1
fi
echo "extensions: _core and _scan compile with clang -Wall -Wextra without warnings"
