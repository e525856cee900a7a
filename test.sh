#!/usr/bin/env bash
# The tests, with everything they need: installs the missing test tools (build/test-prerequisites.sh: with apt as
# root, otherwise it prints the command to run), then runs `dotnet test Cluster.sln` with any arguments given, e.g.
#   ./test.sh
#   ./test.sh --filter "FullyQualifiedName~Athanor.Tests.Reporting"
set -euo pipefail
cd "$(dirname "$0")"
build/test-prerequisites.sh
exec dotnet test Cluster.sln "$@"
