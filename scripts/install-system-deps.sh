#!/usr/bin/env bash
# Install the Debian packages Shuxin needs, if any is missing: PostgreSQL 15 + PostGIS 3,
# Chromium (browser tests), Node.js + npm (to vendor the map's front-end files at build time),
# python3-venv, CJK fonts (so screenshots, maps and PDFs show Chinese), GDAL's command-line tools
# (the OGC API Features tests run ogrinfo and ogr2ogr against a live server), the libraries
# WeasyPrint draws PDFs with (Pango, HarfBuzz's subsetter for embedding fonts), and
# poppler-utils (the tests turn PDF pages into PNG with pdftoppm). Safe to run again: it checks
# first.
set -euo pipefail

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql-15-postgis-3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql-15)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
have_pkg fonts-noto-cjk || missing+=(fonts-noto-cjk)
command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
have_pkg libpango-1.0-0 || missing+=(libpango-1.0-0)
have_pkg libpangoft2-1.0-0 || missing+=(libpangoft2-1.0-0)
have_pkg libharfbuzz-subset0 || missing+=(libharfbuzz-subset0)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: these packages are missing and this user cannot install them: ${missing[*]}" >&2
    echo "       ask an administrator to run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}"
