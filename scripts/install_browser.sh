#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian's packages (no browser download), for the
# browser test of the HTML report (tests/test_report_browser.py). Idempotent; needs root for apt-get.
set -euo pipefail
PACKAGES=(chromium chromium-driver)
missing=()
for p in "${PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == *"ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "browser: $(chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi
((EUID == 0)) || { echo "browser: installing ${missing[*]} needs root (apt-get)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    echo "browser: apt-get install failed; retrying after apt-get update"
    apt-get update -q >>"$log" 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
fi
rm -f "$log"
echo "browser: installed $(chromium --version)"
