#!/usr/bin/env bash
# Runs every test. Installs what the tests need first (see scripts/install.sh).
# The tests start and stop pcscd, the virtual card, gunicorn and Chromium themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest "$@"
