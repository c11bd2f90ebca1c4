#!/bin/sh
# Container entrypoint.
# - Default (image user cccd, uid 10001): use the host's pcscd through a mounted /run/pcscd.
# - CCCD_EDGE_OWN_PCSCD=1 with `docker run --user 0 --device /dev/bus/usb ...`: start pcscd here
#   (it needs root for the USB device), then drop to uid 10001 for the service itself.
set -eu
if [ "${CCCD_EDGE_OWN_PCSCD:-0}" = "1" ]; then
    if [ "$(id -u)" != "0" ]; then
        echo "cccd-edge: CCCD_EDGE_OWN_PCSCD=1 needs --user 0 (pcscd opens the USB reader); the service still runs as uid 10001" >&2
        exit 2
    fi
    if [ ! -S /run/pcscd/pcscd.comm ]; then
        mkdir -p /run/pcscd
        pcscd --foreground --disable-polkit &
        i=0
        while [ ! -S /run/pcscd/pcscd.comm ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
    fi
    chown -R 10001:10001 /var/lib/cccd-edge
    exec setpriv --reuid=10001 --regid=10001 --init-groups -- "$@"
fi
exec "$@"
