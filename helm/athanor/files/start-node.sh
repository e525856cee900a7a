#!/bin/sh
# Starts `cluster node` in a StatefulSet pod (POSIX sh; mounted from the chart's ConfigMap).
#
# Why a script: a member's Akka address is akka.tcp://athanor@HOST:PORT, and a seed must name a member by
# exactly that address. HOST must be an IP (training ranks bind their ring listener to it), and pod IPs
# change when pods are recreated, so the stable DNS names of the headless Service are resolved here, at
# start, into the current IPs.
#
# Inputs (environment): POD_NAME (ends in -ORDINAL), POD_IP, ATHANOR_PEERS (the pods' stable DNS names in
# ordinal order, comma-separated), ATHANOR_AKKA_PORT (default 4053), ATHANOR_SEED_WAIT_SECONDS (default
# 120), ATHANOR_CLUSTER (the executable, default `cluster`). Arguments are passed on to `cluster node`.
#
# Seeds:
#   pod 0:      itself first, then every other pod that resolves. Akka's first seed asks the others for
#               a cluster to join (5 s) and founds a new one only when none answers, so a restarted
#               pod 0 rejoins the running cluster instead of splitting it.
#   pod N > 0:  pod 0 first, then the others that resolve. It waits for pod 0's address (all pods start
#               at once), and after ATHANOR_SEED_WAIT_SECONDS joins whichever members it can find.
set -eu

: "${POD_NAME:?POD_NAME is required (the pod name, from the downward API)}"
: "${POD_IP:?POD_IP is required (status.podIP, from the downward API)}"
: "${ATHANOR_PEERS:?ATHANOR_PEERS is required (the stable DNS names of pods 0..N-1)}"
port="${ATHANOR_AKKA_PORT:-4053}"
wait_limit="${ATHANOR_SEED_WAIT_SECONDS:-120}"
ordinal="${POD_NAME##*-}"
case "$ordinal" in
  ''|*[!0-9]*) echo "start-node: POD_NAME '$POD_NAME' does not end in -ORDINAL" >&2; exit 2 ;;
esac

# The first IPv4 address of a name, or nothing.
resolve() {
  getent ahostsv4 "$1" 2>/dev/null | awk 'NR == 1 { print $1 }'
}

waited=0
while :; do
  seeds=""
  found_first=no
  if [ "$ordinal" -eq 0 ]; then
    seeds="$POD_IP:$port"
    found_first=yes
  fi
  index=0
  for peer in $(echo "$ATHANOR_PEERS" | tr ',' ' '); do
    if [ "$index" -ne "$ordinal" ]; then
      ip="$(resolve "$peer")"
      if [ -n "$ip" ] && [ "$ip" != "$POD_IP" ]; then
        seeds="${seeds:+$seeds,}$ip:$port"
        [ "$index" -eq 0 ] && found_first=yes
      fi
    fi
    index=$((index + 1))
  done
  if [ "$found_first" = yes ]; then break; fi
  if [ "$waited" -ge "$wait_limit" ] && [ -n "$seeds" ]; then
    echo "start-node: pod 0 has no address after ${waited}s; joining the members found: $seeds" >&2
    break
  fi
  if [ $((waited % 10)) -eq 0 ]; then echo "start-node: waiting for pod 0's address (${waited}s)" >&2; fi
  sleep 2
  waited=$((waited + 2))
done

echo "start-node: $POD_NAME at $POD_IP:$port, seeds $seeds" >&2
export ATHANOR_NODE_HOST="$POD_IP"
export ATHANOR_NODE_SEED="$seeds"
exec "${ATHANOR_CLUSTER:-cluster}" node "$@"
