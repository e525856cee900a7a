#!/bin/sh
# Builds the chart renderer offline from Debian's Go packages, in GOPATH mode:
#   apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
# usage: build.sh OUTPUT_BINARY
# Debian installs sources under /usr/share/gocode/src without the /v3 import paths that sprig and
# semver use, so a private GOPATH adds those two paths as links.
set -eu
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
deb=/usr/share/gocode/src
for need in "$deb/github.com/Masterminds/sprig" "$deb/github.com/Masterminds/semver" "$deb/sigs.k8s.io/yaml"; do
  if [ ! -d "$need" ]; then
    echo "missing $need; install: apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev" >&2
    exit 2
  fi
done
command -v go >/dev/null 2>&1 || { echo "missing go; install: apt-get install golang-go" >&2; exit 2; }
work="$(dirname "$out")/gopath"
rm -rf "$work"
mkdir -p "$work/src/github.com/Masterminds/sprig" "$work/src/github.com/Masterminds/semver" "$work/src/chartrender"
ln -s "$deb/github.com/Masterminds/sprig" "$work/src/github.com/Masterminds/sprig/v3"
ln -s "$deb/github.com/Masterminds/semver" "$work/src/github.com/Masterminds/semver/v3"
cp "$here/main.go" "$work/src/chartrender/main.go"
cd "$work/src/chartrender"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOFLAGS= GOCACHE="${GOCACHE:-$(dirname "$out")/gocache}" go build -o "$out" .
