#!/usr/bin/env bash
# Install what the test suite needs from the repo's own files: the pinned Python packages, and
# Debian's Chromium for the browser test (Playwright's own browser download cannot work here).
set -euo pipefail
cd "$(dirname "$0")/.."
pip install -r requirements.txt
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
