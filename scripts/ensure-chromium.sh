#!/usr/bin/env bash
# Make sure headless Chromium (Debian package `chromium`, /usr/bin/chromium) and CJK fonts are
# installed, so the browser tests can run and Chinese pages render in screenshots.
# Never uses `playwright install` (no browser downloads are possible here).
# Quiet on success; exits 1 with a message when something is missing and cannot be installed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=()

[[ -x "$CHROMIUM" ]] || PACKAGES+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || PACKAGES+=(fonts-noto-cjk)

if ((${#PACKAGES[@]} == 0)); then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "ensure-chromium: missing Debian package(s): ${PACKAGES[*]}" >&2
        echo "ensure-chromium: install them as root: apt-get install chromium fonts-noto-cjk" >&2
        exit 1
    fi
else
    SUDO=()
fi

echo "ensure-chromium: installing ${PACKAGES[*]} (apt-get) ..." >&2
log="$(mktemp -t ensure-chromium.XXXXXX.log)"
if ! { "${SUDO[@]}" apt-get update -qq &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${PACKAGES[@]}" </dev/null; } >"$log" 2>&1; then
    echo "ensure-chromium: apt-get failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
fi
rm -f "$log"

if [[ ! -x "$CHROMIUM" ]]; then
    echo "ensure-chromium: $CHROMIUM still missing after installing chromium" >&2
    exit 1
fi
