#!/usr/bin/env bash
# Runs every test project in three lanes at once, after one build: most of the cluster suite's time is spent waiting
# (failure detectors, the split-brain resolver's stable-after, processes starting), which another lane's CPU work
# fills; one after another the suite took 22 minutes on the 2-core CI machine. The lanes are balanced by the
# measured times: the cluster faults and network partitions (~10 min of mostly waiting); the rest of the cluster
# suite, then the CLI and console end-to-end tests; the unit, node and chart suites. Each line of output starts
# with its project's name; the exit status is the first failing lane's. ./test.sh calls this when no --filter is
# given (with one, it runs `dotnet test Cluster.sln` as it is). Arguments are passed to every `dotnet test`; a
# --results-directory D becomes D/<project> per run, so the lanes' result files never collide.
set -uo pipefail
cd "$(dirname "$0")/.."

dotnet build Cluster.sln -nologo -v q || exit $?

slow_classes=(ClusterFaultTests NetNamespaces MidStepCancelTests)
slow=$(printf 'FullyQualifiedName~Athanor.Cluster.Tests.%s|' "${slow_classes[@]}"); slow=${slow%|}
rest=$(printf 'FullyQualifiedName!~Athanor.Cluster.Tests.%s&' "${slow_classes[@]}"); rest=${rest%&}

# One run: project [filter]; the caller's arguments follow, with --results-directory made per run.
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
lane "Athanor.Cluster.Tests|${slow//|/;}|faults" & faults=$!
lane "Athanor.Cluster.Tests|$rest|rest" "Athanor.Cli.Tests" "Athanor.Console.Tests" & ends=$!
lane "Athanor.Core.Tests" "Athanor.Cluster.Core.Tests" "Athanor.Node.Tests" "Athanor.Chart.Tests" & units=$!

status=0
for pid in $faults $ends $units; do wait "$pid" || { s=$?; [ $status = 0 ] && status=$s; }; done
exit $status
