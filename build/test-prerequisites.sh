#!/usr/bin/env bash
# What the tests need besides the .NET SDK, from Debian's (or Ubuntu's) packages: Node.js and npm (reference
# tokenizers and chat templates), the PostgreSQL server binaries (the cluster journal tests start their own servers),
# Prometheus (the dashboard tests scrape real nodes with it), Go with sprig (the chart tests render the Helm chart
# with Go's template engine) and, on Debian, NVRTC 11 from non-free (every fused CUDA kernel is compiled in the tests,
# even without a GPU), and Chromium (the web console's browser tests drive it through Playwright). As root it installs what is missing with apt; otherwise it prints the one command to run and
# exits 1. Then, from npm, the chart tests' manifest validator (kubernetes-models, the versions pinned in
# tests/Athanor.Chart.Tests/validator/package-lock.json), for any user. Nothing installed is ever removed or upgraded.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

# npm ci of the validator when its packages are missing (npm itself may come from apt below).
install_validator() {
  local dir="$repo/tests/Athanor.Chart.Tests/validator"
  [ -f "$dir/node_modules/kubernetes-models/package.json" ] && [ -f "$dir/node_modules/@kubernetes-models/prometheus-operator/package.json" ] \
    && [ -f "$dir/node_modules/@kubernetes-models/cert-manager/package.json" ] && return 0
  echo "installing the chart validator: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

missing=()        # apt packages, installed with recommends
missing_lean=()   # apt packages, installed without recommends (prometheus would pull in a node exporter and more)
nonfree=0
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] \
  || missing+=(golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing_lean+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# NVRTC 11 (16 MB): Debian ships it in non-free, which a default Debian install does not list.
distro=$(. /etc/os-release 2>/dev/null && echo "${ID:-}")
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
if ! ls /usr/lib/x86_64-linux-gnu/libnvrtc.so.11* >/dev/null 2>&1; then
  missing+=(libnvrtc11.2)
  [ "$distro" = debian ] && [ ! -f /etc/apt/sources.list.d/debian-nonfree.sources ] && nonfree=1
fi

if [ ${#missing[@]} -eq 0 ] && [ ${#missing_lean[@]} -eq 0 ]; then
  install_validator
  exit 0
fi
nonfree_source="Types: deb\nURIs: http://deb.debian.org/debian\nSuites: $codename\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites missing: ${missing[*]} ${missing_lean[*]} (Debian/Ubuntu package names; no apt-get here: install the equivalents, then run the tests again)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  {
    echo "test prerequisites missing: ${missing[*]} ${missing_lean[*]}. Install them as root, then run the tests again:"
    [ $nonfree = 1 ] && echo "  printf '$nonfree_source' | sudo tee /etc/apt/sources.list.d/debian-nonfree.sources"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}${missing_lean:+ && sudo apt-get install -y --no-install-recommends ${missing_lean[*]}}"
  } >&2
  exit 1
fi

echo "installing the test prerequisites: ${missing[*]} ${missing_lean[*]}"
[ $nonfree = 1 ] && printf "$nonfree_source" > /etc/apt/sources.list.d/debian-nonfree.sources
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}"
[ ${#missing_lean[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing_lean[@]}"
# The postgresql package starts a cluster of its own that the tests do not use (they start their own servers).
service postgresql stop >/dev/null 2>&1 || true
install_validator
