#!/usr/bin/env bash
# Install headless Chromium (Debian package `chromium`) for tests/test_reports.py, which opens map.html in a
# real browser. Called by .ci/run; does nothing when Chromium is already installed, so it is safe to re-run.
set -euo pipefail

if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(command -v chromium || echo /usr/bin/chromium)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium
command -v chromium
