#!/usr/bin/env bash
# Runs every test project in two lanes at once, after one build: most of the cluster suite's 14 minutes are spent
# waiting (failure detectors, the split-brain resolver's stable-after, processes starting), which the other lane's
# CPU work fills; one after another the projects took 22 minutes on the 2-core CI machine. Lane one: the cluster
# suite (its classes one after another, as its xunit.runner.json asks); lane two: every other project in turn. A
# third lane (the cluster suite split in two) was tried and starved the timing-sensitive cluster tests of CPU.
# Each line of output starts with its project's name; the exit status is the first failing lane's. ./test.sh calls this when no --filter is
# given (with one, it runs `dotnet test Cluster.sln` as it is). Arguments are passed to every `dotnet test`; a
# --results-directory D becomes D/<project> per run, so the lanes' result files never collide.
set -uo pipefail
cd "$(dirname "$0")/.."

dotnet build Cluster.sln -nologo -v q || exit $?

# One run: project [filter [tag]]; the caller's arguments follow, with --results-directory made per run.
run_tests() {
  local project=$1 filter=${2:-} tag=$1${2:+-${3:-part}}
  local args=() expect_dir=0
  for a in "${caller_args[@]}"; do
    if [ $expect_dir = 1 ]; then args+=("$a/$tag"); expect_dir=0; continue; fi
    [ "$a" = "--results-directory" ] && expect_dir=1
    args+=("$a")
  done
  dotnet test "tests/$project/$project.csproj" --no-build ${filter:+--filter "$filter"} "${args[@]}" 2>&1 | sed -u "s/^/[$project] /"
  return "${PIPESTATUS[0]}"
}

lane() { # runs its specs one after another; returns the first failure's status
  local status=0 spec
  for spec in "$@"; do
    IFS='|' read -r project filter tag <<< "$spec"
    run_tests "$project" "${filter//;/|}" "$tag" || { s=$?; [ $status = 0 ] && status=$s; }
  done
  return $status
}

caller_args=("$@")
lane "Athanor.Cluster.Tests" & cluster=$!
lane "Athanor.Core.Tests" "Athanor.Cluster.Core.Tests" "Athanor.Chart.Tests" "Athanor.Node.Tests" "Athanor.Cli.Tests" "Athanor.Console.Tests" & others=$!

status=0
for pid in $cluster $others; do wait "$pid" || { s=$?; [ $status = 0 ] && status=$s; }; done
exit $status
