#!/usr/bin/env bash
# Redraws docs/images/dashboard-*.png and trace-job.png from real runs. The trace: two nodes run a 2-rank job
# exporting OTLP to a receiver in the test (TelemetryTests), and the job's trace is drawn as a waterfall. The dashboards: two `cluster node` processes train a job while a real
# Prometheus (Debian's package) scrapes them; every panel query of deploy/grafana/dashboards/athanor-training.json
# and athanor-cluster.json is then evaluated by that Prometheus and drawn (tests/Athanor.Cluster.Tests,
# DashboardQueryTests and DashboardImage). Grafana itself is not installable where this was written, so the
# images are the dashboards' data drawn by Athanor, not Grafana screenshots.
#   needs: the .NET SDK, prometheus (apt-get install -y --no-install-recommends prometheus)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(pwd)/docs/images"
mkdir -p "$out"
ATHANOR_DASHBOARD_IMAGES="$out" dotnet test tests/Athanor.Cluster.Tests --filter "FullyQualifiedName~DashboardQueryTests|FullyQualifiedName~TelemetryTests" \
  --logger "console;verbosity=detailed" | grep -E "wrote|series|Passed|Failed|trained"
echo "machine: $(uname -srm), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%dT%H:%MZ)"
