#!/usr/bin/env bash
# Prepares a Debian / Raspberry Pi OS machine to build, test and run Argus Edge from source:
# the Debian packages it and its tests use, npm dependencies, the native addon and the bundle.
# Idempotent: what is already there is left alone, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime: libpcap, the firewall tools, nmap. Build: compiler, make, python3 for node-gyp.
# Tests: real tools in network namespaces (iproute2, ethtool, tcpdump, tshark as an oracle, curl, hping3,
# hydra against a real sshd, arping), victoria-metrics as an InfluxDB write target, influxdb (1.6, InfluxQL) to
# run the Grafana dashboard's queries, chromium for the dashboard, mosquitto as the MQTT broker for notifications.
# Benchmarks: argus-server (QoSient argus), the whole-replay figure's comparison.
PACKAGES=(
  libpcap-dev build-essential python3 openssl
  iproute2 ethtool iptables ipset nmap
  tcpdump tshark curl hping3 dnsmasq-base procps hydra openssh-server iputils-arping
  victoria-metrics influxdb chromium mosquitto argus-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    echo "setup: run 'sudo ./scripts/setup.sh', or 'sudo apt-get install ${missing[*]}'" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The single executables (npm run build:sea) for x64 and arm64, built on an x64 machine: the arm64 native parts
# are cross-compiled against Debian's arm64 libpcap, and the tests run the arm64 executable under qemu.
CROSS=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libpcap-dev:arm64 libstdc++6:arm64 qemu-user-static)
cross=no
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  cross_missing=()
  for p in "${CROSS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || cross_missing+=("$p")
  done
  if [ ${#cross_missing[@]} -eq 0 ]; then
    cross=yes
  elif [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing the arm64 cross toolchain: ${cross_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${cross_missing[@]}" >/dev/null
    cross=yes
  else
    echo "setup: the arm64 executable needs ${cross_missing[*]} (run as root to install them); building x64 only" >&2
  fi
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js 20 or later is needed (node was not found on PATH)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup: Node.js 20 or later is needed; this is $(node --version)" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi

npm run --silent build
# the single executables: the first build takes a few minutes, later ones skip what has not changed
if [ "$cross" = yes ]; then
  npm run --silent build:sea -- --quiet
else
  npm run --silent build:sea -- --arch "$(node -p process.arch)" --quiet
fi
echo "setup: ready. 'npm start' runs the appliance on the demo capture; 'npm test' runs the tests."
