#!/bin/sh
# Make sure headless Chromium is available at /usr/bin/chromium (Debian package `chromium`).
#
# Idempotent and quiet: does nothing when /usr/bin/chromium exists; otherwise runs
# `apt-get update` and `apt-get install chromium` (as root, or through sudo when available).
# Exits non-zero with a clear message when Chromium cannot be installed.
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

fail() {
    echo "ensure-chromium: $1" >&2
    echo "ensure-chromium: install it by hand with: apt-get update && apt-get install -y chromium" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "$CHROMIUM is missing and apt-get is not available (Debian/Ubuntu needed)"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    fail "$CHROMIUM is missing and installing it needs root (run as root or with password-less sudo)"
fi

LOG=$(mktemp "${TMPDIR:-/tmp}/ensure-chromium.XXXXXX") || fail "cannot create a temporary log file"
trap 'rm -f "$LOG"' EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    fail "apt-get update failed (see the lines above)"
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    fail "apt-get install chromium failed (see the lines above)"
fi
[ -x "$CHROMIUM" ] || fail "apt-get installed chromium but $CHROMIUM is still missing"
exit 0
