#!/usr/bin/env bash
# The main job: installs what it needs, then serves the API and the kiosk screen
# on the embedded defaults (the virtual CCCD in process, SQLite audit log).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
if [ -z "${CCCD_EDGE_API_KEYS:-}" ]; then
    # A fresh demo key each start, never a key written in the repository.
    key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')
    export CCCD_EDGE_API_KEYS="demo-hospital:hospital:$key"
    echo "Demo relying party 'demo-hospital' (hospital profile), API key: $key"
fi
exec .venv/bin/cccd-edge serve "$@"
