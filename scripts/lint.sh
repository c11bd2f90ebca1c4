#!/usr/bin/env bash
# The quality gates (issue 9): ruff, ruff format, mypy, eslint and the layer contract.
# Runs every gate, prints each one's result, and fails when any gate has a finding.
# Expects the tools installed by `scripts/install.sh --test` (.venv and node_modules).
set -uo pipefail
cd "$(dirname "$0")/.."
# The packages of this tree, even when the venv's editable install points elsewhere.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

failed=()
gate() {
    local name=$1
    shift
    local start=$SECONDS out
    if out=$("$@" 2>&1); then
        echo "[lint] $name: ok ($((SECONDS - start)) s)"
    else
        echo "$out"
        echo "[lint] $name: FAILED ($((SECONDS - start)) s)"
        failed+=("$name")
    fi
}

gate "ruff check" .venv/bin/ruff check --quiet .
gate "ruff format" .venv/bin/ruff format --check --quiet .
gate "mypy" .venv/bin/mypy --config-file pyproject.toml
gate "eslint" node_modules/.bin/eslint --max-warnings 0 kiosk_ui/static eslint.config.js
gate "layers" .venv/bin/lint-imports --no-cache --no-logo

if [ "${#failed[@]}" -gt 0 ]; then
    echo "[lint] failed: ${failed[*]}" >&2
    exit 1
fi
echo "[lint] all gates passed"
