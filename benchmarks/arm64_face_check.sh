#!/usr/bin/env bash
# The face stack on arm64 (the Raspberry Pi 5's architecture), measured under emulation.
#
# Builds (once, cached outside the repo) a Debian bookworm arm64 root with
# debootstrap and qemu user-mode emulation, installs the project's pinned face
# dependencies into a venv there from PyPI's aarch64 wheels (wheels only: a
# missing wheel is a finding, nothing is built from source), runs the real
# edge/face code on six images of ../shared/faces/johns on arm64 and on this
# host, and prints: the wheels installed, how far the arm64 embeddings and
# distances are from the x86_64 ones, whether every match decision agrees,
# and the emulated wall time (qemu on this host: NOT a Raspberry Pi timing).
#
#   sudo benchmarks/arm64_face_check.sh [FACES_DIR]
#
# Needs root (apt, debootstrap, chroot, mounts). Environment:
#   CCCD_EDGE_ARM64_ROOT      the arm64 root (default ${XDG_CACHE_HOME:-~/.cache}/cccd-edge/arm64-root)
#   CCCD_EDGE_FACE_MODEL_DIR  the ONNX models (default ${XDG_CACHE_HOME:-~/.cache}/cccd-edge/models,
#                             from scripts/install_face_model.sh)
#   DEBIAN_MIRROR             default http://deb.debian.org/debian
# Every mount it makes (and the binfmt_misc state it changes) is undone on exit,
# failure included, from its own list.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cccd-edge"
ARM_ROOT="${CCCD_EDGE_ARM64_ROOT:-$CACHE/arm64-root}"
MODELS="${CCCD_EDGE_FACE_MODEL_DIR:-$CACHE/models}"
FACES="$(realpath "${1:-$REPO/../shared/faces/johns}")"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_PY="$REPO/.venv/bin/python"
APT_PACKAGES=(qemu-user-static binfmt-support debootstrap)
DISTRIBUTIONS=(numpy Pillow dlib-bin face_recognition_models onnxruntime)
# PyPI has face_recognition_models 0.3.0 as a source archive only: dlib's weights
# and a few lines of Python, no compiled code, so the same on every architecture.
# It alone may come from source; everything else must be a wheel.
SOURCE_ALLOWED=face_recognition_models
GUEST_VENV=/opt/cccd-edge-face-venv
READY="$ARM_ROOT/.cccd-edge-root-ready"

if [ "$(id -u)" -ne 0 ]; then
    echo "This needs root (apt, debootstrap, chroot, mounts). Run:" >&2
    echo "  sudo apt-get install -y ${APT_PACKAGES[*]}" >&2
    echo "  sudo $0 $*" >&2
    exit 2
fi
for needed in "$HOST_PY" "$MODELS/fr_feature.onnx" "$MODELS/fr_landmark.onnx" "$FACES"; do
    if [ ! -e "$needed" ]; then
        echo "missing: $needed (host venv: scripts/install.sh; models: scripts/install_face_model.sh)" >&2
        exit 2
    fi
done

# --- bookkeeping: what this run mounted or switched on, undone in reverse -----
MOUNTED=()
BINFMT_ENABLED=0
WORK="$(mktemp -d)"  # host side: x86 result, pip report
GUEST_WORK=""        # guest side, under $ARM_ROOT/tmp
cleanup() {
    local status=$? i
    # The handler first: its binfmt_misc mount, if this run made it, is the last to go.
    if [ "$BINFMT_ENABLED" = 1 ]; then update-binfmts --disable qemu-aarch64 || status=1; fi
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" || status=1
    done
    rm -rf "$WORK"
    if [ -n "$GUEST_WORK" ]; then rm -rf "$GUEST_WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_tracked() {  # mount_tracked TARGET MOUNT-ARGS...: mount, and remember to unmount
    local target=$1
    shift
    [ -e "$target" ] || mkdir -p "$target"
    mount "$@" "$target"
    MOUNTED+=("$target")
}
bind_ro() {  # bind_ro SOURCE TARGET: a read-only view of a host folder or file in the guest
    if [ -f "$1" ] && [ ! -e "$2" ]; then
        mkdir -p "$(dirname "$2")"
        touch "$2"
    fi
    mount_tracked "$2" --bind "$1"
    mount -o remount,bind,ro "$2"
}

# --- 1. host tools -----------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi

# qemu runs arm64 programs for the kernel through binfmt_misc (flag F: the
# interpreter is opened now, so the guest root needs no copy of it).
if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount_tracked /proc/sys/fs/binfmt_misc -t binfmt_misc binfmt_misc
fi
if [ "$(head -n1 /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null)" != "enabled" ]; then
    update-binfmts --enable qemu-aarch64
    BINFMT_ENABLED=1
fi

# --- 2. the arm64 root and its venv (cached) ----------------------------------
if [ ! -e "$READY" ]; then
    echo "== debootstrap bookworm arm64 into $ARM_ROOT (first run: several minutes)"
    rm -rf "$ARM_ROOT"
    mkdir -p "$ARM_ROOT"
    debootstrap --arch=arm64 --foreign --variant=minbase \
        --include=python3,python3-venv,ca-certificates bookworm "$ARM_ROOT" "$MIRROR" >/dev/null
    chroot "$ARM_ROOT" /debootstrap/debootstrap --second-stage >/dev/null
    touch "$READY"
fi
cp /etc/resolv.conf "$ARM_ROOT/etc/resolv.conf"  # pip in the guest reaches PyPI
mount_tracked "$ARM_ROOT/proc" -t proc proc
# No /sys: onnxruntime's cpuinfo (arm64) would read this x86 host's CPU list
# there and its x86 /proc/cpuinfo (qemu 7.2 passes the host's through), and
# segfaults on import (seen here). Without /sys it warns, treats the CPU as
# unknown, and runs its baseline NEON kernels; on a Pi the two agree.
mount_tracked "$ARM_ROOT/dev" --bind /dev
GUEST_WORK="$(mktemp -d "$ARM_ROOT/tmp/cccd-edge-check.XXXXXX")"
guest_tmp="/tmp/$(basename "$GUEST_WORK")"

# The pins, exactly as pyproject.toml states them.
mapfile -t PINS < <("$HOST_PY" - "$REPO/pyproject.toml" "${DISTRIBUTIONS[@]}" <<'EOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
specs = list(project["dependencies"])
for extra in project.get("optional-dependencies", {}).values():
    specs += extra
wanted = {name.lower(): name for name in sys.argv[2:]}
for spec in specs:
    name = re.split(r"[=<>!~\[; ]", spec, maxsplit=1)[0].lower()
    if name in wanted:
        print(spec)
        wanted.pop(name)
if wanted:
    sys.exit(f"not pinned in pyproject.toml: {', '.join(wanted.values())}")
EOF
)
# pip in the guest trusts the certificate authorities this host's pip trusts
# (a network that inspects TLS has its own CA in the host's bundle).
bind_ro "$(realpath "${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}")" \
    "$ARM_ROOT/mnt/host-ca-bundle"
guest() {
    chroot "$ARM_ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/bin:/bin \
        PIP_CERT=/mnt/host-ca-bundle "$@"
}

echo "== guest: $(guest /usr/bin/uname -m), $(guest /usr/bin/python3 --version), Debian $(cat "$ARM_ROOT/etc/debian_version")"
if [ "$(cat "$ARM_ROOT$GUEST_VENV/.cccd-edge-pins" 2>/dev/null)" != "${PINS[*]}" ]; then
    echo "== pip install ${PINS[*]} (wheels only, except $SOURCE_ALLOWED: data, no compiled code)"
    rm -rf "${ARM_ROOT:?}$GUEST_VENV"
    guest /usr/bin/python3 -m venv "$GUEST_VENV"
    if ! guest "$GUEST_VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
        --no-binary="$SOURCE_ALLOWED" --report "$guest_tmp/pip-report.json" "${PINS[@]}"; then
        echo "pip install failed. Each pin alone (\"No matching distribution\" while the" >&2
        echo "index answers for other pins = no aarch64 wheel of that version for this Python):" >&2
        for pin in "${PINS[@]}"; do
            if out="$(guest "$GUEST_VENV/bin/pip" download --disable-pip-version-check --no-deps \
                --only-binary=:all: -d "$guest_tmp/probe" "$pin" 2>&1)"; then
                echo "  $pin: aarch64 wheel found" >&2
            else
                echo "  $pin: $(grep -m1 ERROR <<<"$out" || tail -n1 <<<"$out")" >&2
            fi
        done
        exit 1
    fi
    echo "Installed from PyPI for aarch64 (this run):"
    "$HOST_PY" - "$GUEST_WORK/pip-report.json" <<'EOF'
import json, sys
for item in json.load(open(sys.argv[1]))["install"]:
    meta = item["metadata"]
    wheel = item["download_info"]["url"].rsplit("/", 1)[-1]  # or the source archive
    print(f"  {meta['name']}=={meta['version']}  {wheel}")
EOF
    printf '%s' "${PINS[*]}" >"$ARM_ROOT$GUEST_VENV/.cccd-edge-pins"
else
    echo "== guest venv already holds ${PINS[*]} (cached)"
fi
echo "Wheels in the guest venv (name, version, wheel tag):"
guest "$GUEST_VENV/bin/python" - <<'EOF'
import importlib.metadata as md
for dist in sorted(md.distributions(), key=lambda d: d.metadata["Name"].lower()):
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    print(f"  {dist.metadata['Name']}=={dist.version}  {' '.join(tags) or '(built here from source)'}")
EOF

# --- 3. the same computation on x86_64 and on arm64 ---------------------------
bind_ro "$REPO" "$ARM_ROOT/mnt/cccd-edge"
bind_ro "$FACES" "$ARM_ROOT/mnt/faces"
bind_ro "$MODELS" "$ARM_ROOT/mnt/models"

echo "== x86_64 (host .venv)"
PYTHONPATH="$REPO" CCCD_EDGE_FACE_MODEL_DIR="$MODELS" PYTHONDONTWRITEBYTECODE=1 \
    "$HOST_PY" "$REPO/benchmarks/arm64_face_check.py" embed --faces "$FACES" --out "$WORK/x86_64.json"
echo "== arm64 (Debian bookworm root, qemu-aarch64 user-mode emulation)"
guest PYTHONPATH=/mnt/cccd-edge CCCD_EDGE_FACE_MODEL_DIR=/mnt/models PYTHONDONTWRITEBYTECODE=1 \
    "$GUEST_VENV/bin/python" /mnt/cccd-edge/benchmarks/arm64_face_check.py embed \
    --faces /mnt/faces --out "$guest_tmp/arm64.json"

# --- 4. the comparison, and instruction counts where qemu can give them --------
status=0
PYTHONPATH="$REPO" "$HOST_PY" "$REPO/benchmarks/arm64_face_check.py" compare \
    "$WORK/x86_64.json" "$GUEST_WORK/arm64.json" || status=$?

echo
echo "Host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(qemu-aarch64-static --version | head -n1)"
if qemu-aarch64-static -h 2>&1 | grep -q -- '-plugin'; then
    echo "Guest instruction counts: this qemu accepts TCG plugins, but this script does not count yet."
else
    echo "Guest instruction counts: skipped. This qemu-aarch64-static is built without TCG plugin"
    echo "support (no -plugin option) and Debian ships no libinsn.so, so no instruction counts."
fi
exit "$status"
