#!/usr/bin/env bash
# Install Debian's headless Chromium (and its driver) for the browser tests, if missing,
# and npm, which `cadresim explore` uses to fetch the page's JavaScript packages when
# solara's CDN cannot be reached. Idempotent and quiet: does nothing when both are there.
# Called from .ci/run; needs root or passwordless sudo to install.
set -euo pipefail
pkgs=()
[ -x /usr/bin/chromium ] || pkgs+=(chromium chromium-driver)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
if [ ${#pkgs[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-browser.sh: ${pkgs[*]} missing and installing needs root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends \
  "${pkgs[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-browser.sh: apt-get failed (output above)" >&2
  exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "install-browser.sh: apt-get finished but /usr/bin/chromium is still missing" >&2
  exit 1
fi
