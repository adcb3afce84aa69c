#!/usr/bin/env bash
# Installs the Debian 12 packages fleetpki builds and tests with. Idempotent: does nothing when
# everything is present. Run as root (CI and dev machines) or with sudo available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev openssl
  libboost1.81-dev
  libexpected-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev
  curl wrk gnutls-bin python3 python3-cryptography golang-cfssl
  softhsm2 opensc libp11-kit-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
