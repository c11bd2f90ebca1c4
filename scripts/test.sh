#!/usr/bin/env bash
# Runs the quality gates (scripts/lint.sh), then every test. Installs what they need first
# (see scripts/install.sh).
# The tests start and stop pcscd, the virtual card, gunicorn and Chromium themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
# The quality gates first (ruff, mypy, eslint, layer contract): any finding fails the run.
scripts/lint.sh
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest "$@"
