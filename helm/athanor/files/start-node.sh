#!/bin/sh
# Starts `cluster node` in a StatefulSet pod with dns discovery (POSIX sh; mounted from the chart's ConfigMap).
#
# Why a script: a member's Akka address is akka.tcp://athanor@HOST:PORT, and a seed must name a member by
# exactly that address. HOST must be an IP (training ranks bind their ring listener to it), and pod IPs
# change when pods are recreated, so DNS names are resolved here, at start, into the current IPs.
#
# Inputs (environment): POD_NAME (ends in -ORDINAL), POD_IP, ATHANOR_FIRST_POD_NAME (pod 0's stable DNS
# name), ATHANOR_PEER_NAMES (comma-separated DNS names whose addresses are the members: the chart gives the
# headless Service's name, which resolves to every pod's IP, ready or not), ATHANOR_AKKA_PORT (default 4053),
# ATHANOR_SEED_WAIT_SECONDS (default 120), ATHANOR_CLUSTER (the executable, default `cluster`). Arguments are
# passed on to `cluster node`. Nothing here depends on the replica count, so scaling restarts no pod.
#
# Seeds:
#   pod 0:      itself first, then every other member address found. Akka's first seed asks the others for
#               a cluster to join (5 s) and founds a new one only when none answers, so a restarted
#               pod 0 rejoins the running cluster instead of splitting it.
#   pod N > 0:  pod 0 first, then the other members found. It waits for pod 0's address (all pods start
#               at once), and after ATHANOR_SEED_WAIT_SECONDS joins whichever members it can find.
set -eu

: "${POD_NAME:?POD_NAME is required (the pod name, from the downward API)}"
: "${POD_IP:?POD_IP is required (status.podIP, from the downward API)}"
: "${ATHANOR_FIRST_POD_NAME:?ATHANOR_FIRST_POD_NAME is required (pod 0's stable DNS name)}"
: "${ATHANOR_PEER_NAMES:?ATHANOR_PEER_NAMES is required (DNS names resolving to the members, e.g. the headless Service)}"
port="${ATHANOR_AKKA_PORT:-4053}"
wait_limit="${ATHANOR_SEED_WAIT_SECONDS:-120}"
ordinal="${POD_NAME##*-}"
case "$ordinal" in
  ''|*[!0-9]*) echo "start-node: POD_NAME '$POD_NAME' does not end in -ORDINAL" >&2; exit 2 ;;
esac

# Every IPv4 address of a name, one a line, sorted (a headless Service's name has one per pod), or nothing.
resolve_all() {
  getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u
}

waited=0
while :; do
  first_ip=""
  if [ "$ordinal" -eq 0 ]; then
    first_ip="$POD_IP"
  else
    first_ip="$(resolve_all "$ATHANOR_FIRST_POD_NAME" | head -n 1)"
  fi
  seeds=""
  [ -n "$first_ip" ] && seeds="$first_ip:$port"
  for name in $(echo "$ATHANOR_PEER_NAMES" | tr ',' ' '); do
    for ip in $(resolve_all "$name"); do
      if [ "$ip" != "$POD_IP" ] && [ "$ip" != "$first_ip" ]; then
        case ",$seeds," in
          *",$ip:$port,"*) ;;
          *) seeds="${seeds:+$seeds,}$ip:$port" ;;
        esac
      fi
    done
  done
  if [ -n "$first_ip" ]; then break; fi
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
