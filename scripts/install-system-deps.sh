#!/usr/bin/env bash
# System packages the browser and HTML-validation tests need: Chromium (driven by Playwright)
# and a Java runtime (for the Nu HTML Checker).  Installs them with apt-get when run as root on
# Debian/Ubuntu; otherwise says what is missing and fails, so no test is silently skipped.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v git >/dev/null 2>&1 || missing+=(git)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these system packages: ${missing[*]}" >&2
  echo "Install them (for example: sudo apt-get install ${missing[*]}) and run make test again." >&2
  exit 1
fi
