#!/usr/bin/env bash
# Build a text8-style corpus of technical documentation and public-domain books from
# Debian packages (man pages, info manuals, HTML and reST manuals, POD, the World English
# Bible, the King James Version, three 19th-century Bible commentaries, fortunes, ...).
#
#   bash benchmarks/corpora/build_docs_corpus.sh [OUTPUT]     (default /tmp/corpora/docs.txt)
#
# Packages are fetched with `apt-get download` (the candidate version of each) and unpacked
# with `dpkg-deb -x` under $CORPUS_WORK (default /tmp/corpora/work): nothing is installed,
# so the system's own packages are neither added nor upgraded, and the corpus depends only on
# the versions of the listed packages. Re-running reuses the downloaded and unpacked packages.
# Needs root only if the apt package lists are missing (then it runs `apt-get update`).
# See README.md beside this file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(realpath -m "${1:-/tmp/corpora/docs.txt}")"
WORK="${CORPUS_WORK:-/tmp/corpora/work}"
PY="${PYTHON:-python3}"
export DEBIAN_FRONTEND=noninteractive

start=$(date +%s)
mkdir -p "$WORK/debs" "$WORK/root"

mapfile -t PKGS < <("$PY" "$HERE/clean_docs.py" --list-packages)
((${#PKGS[@]})) || { echo "clean_docs.py --list-packages gave no packages" >&2; exit 1; }
echo "== ${#PKGS[@]} packages"

# The download URIs, file names and hashes of the candidate versions. Without package lists
# (a fresh machine) apt cannot resolve the names: update once and try again.
if ! uris=$(apt-get download --print-uris "${PKGS[@]}" 2>/dev/null); then
    echo "== apt-get update"
    apt-get update -qq
    uris=$(apt-get download --print-uris "${PKGS[@]}")
fi

# Download what is not already there (idempotent: a file with the right name and size stays).
cd "$WORK/debs"
missing=()
declare -A DEB
while read -r _url file size _hash; do
    pkg="${file%%_*}"
    DEB[$pkg]="$file"
    if [[ ! -f "$file" || "$(stat -c %s "$file")" != "$size" ]]; then
        missing+=("$pkg")
    fi
done <<< "$uris"
for pkg in "${PKGS[@]}"; do
    [[ -n "${DEB[$pkg]:-}" ]] || { echo "no download found for $pkg" >&2; exit 1; }
done
if ((${#missing[@]})); then
    echo "== downloading ${#missing[@]} packages"
    # As root apt would warn that its sandbox user cannot write here; download as root.
    apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null
fi

# Unpack each package into its own tree; a tree is redone when its .deb changed.
echo "== unpacking"
: > "$WORK/packages.txt"
for pkg in "${PKGS[@]}"; do
    deb="${DEB[$pkg]}"
    stamp="$WORK/root/$pkg.unpacked"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$deb" ]]; then
        rm -rf "${WORK:?}/root/$pkg" "$stamp"
        dpkg-deb -x "$deb" "$WORK/root/$pkg"
        echo "$deb" > "$stamp"
    fi
    dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >> "$WORK/packages.txt"
done
echo "== package versions: $WORK/packages.txt"

echo "== cleaning"
mkdir -p "$(dirname "$OUT")"
nice -n 10 "$PY" "$HERE/clean_docs.py" --root "$WORK/root" --sources "$OUT.sources" "$OUT"
cp "$WORK/packages.txt" "$OUT.packages"
echo "sha1sum: $(sha1sum "$OUT" | cut -d' ' -f1)"
echo "== built in $(( $(date +%s) - start )) s"
