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
# --- demo BHYT gateway (docs/insurance.md): the simulator, unless a real gateway is configured --
if [ -z "${CCCD_EDGE_BHYT_URL:-}" ]; then
    BHYT_SIM_PASSWORD=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(18))')
    export BHYT_SIM_PASSWORD
    sim_out=$(mktemp)
    .venv/bin/python -m simulators.bhyt_gateway --port 0 >"$sim_out" 2>&1 &
    sim_pid=$!
    trap 'kill "$sim_pid" 2>/dev/null || true; rm -f "$sim_out"' EXIT
    for _ in $(seq 50); do grep -q "listening on" "$sim_out" && break; sleep 0.1; done
    export CCCD_EDGE_BHYT_URL=$(sed -n 's/.*listening on //p' "$sim_out" | head -1)
    export CCCD_EDGE_BHYT_USERNAME=01013_BV CCCD_EDGE_BHYT_PASSWORD="$BHYT_SIM_PASSWORD"
    export CCCD_EDGE_BHYT_STAFF_NAME="Nguyễn Thị Nhân Viên" CCCD_EDGE_BHYT_STAFF_ID=001190000001
    echo "Demo BHYT gateway simulator at $CCCD_EDGE_BHYT_URL (switch cases: POST /_sim/mode)."
    # The kiosk's Start button runs hospital verifications, so a newcomer sees the insurance panel.
    export CCCD_EDGE_WALK_UP_PROFILE="${CCCD_EDGE_WALK_UP_PROFILE:-hospital}"
fi
# Not exec: the shell stays to stop the simulator when the service ends.
.venv/bin/cccd-edge serve "$@"
