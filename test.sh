#!/usr/bin/env bash
# The tests, with everything they need: installs the missing test tools (build/test-prerequisites.sh: with apt as
# root, otherwise it prints the command to run), then runs every test project, in two parallel lanes after one
# build (build/test-lanes.sh); with a --filter it runs `dotnet test Cluster.sln` with the arguments given, e.g.
#   ./test.sh
#   ./test.sh --filter "FullyQualifiedName~Athanor.Tests.Reporting"
set -euo pipefail
cd "$(dirname "$0")"
build/test-prerequisites.sh
case " $* " in
  *" --filter "* | *" --filter="*) exec dotnet test Cluster.sln "$@" ;;
esac
exec build/test-lanes.sh "$@"
