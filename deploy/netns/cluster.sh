#!/usr/bin/env bash
# A cluster of `cluster node` processes, each on its own "host": a network namespace with its own address on a private
# bridge (192.168.77.11, .12, ...), started the way the Helm chart starts pods (--host=the pod IP, the same ports on
# every member, gRPC on 0.0.0.0), sharing one SQLite journal. Then cut links, split the cluster, drop one direction,
# and watch what the cluster does. Needs root and iproute2. Everything it made is removed by `down` (and on Ctrl-C of `up`).
#
#   deploy/netns/cluster.sh up [N]            start N nodes (default 3) and a client host; Ctrl-C tears everything down
#   deploy/netns/cluster.sh cut NODE          take NODE's link down (the process keeps running)   NODE: 1..N
#   deploy/netns/cluster.sh restore NODE      bring the link back
#   deploy/netns/cluster.sh restart NODE      start NODE again after it exited (what a pod restart does)
#   deploy/netns/cluster.sh drop FROM TO      drop every packet from FROM to TO (one way); `heal FROM TO` undoes it
#   deploy/netns/cluster.sh client ARGS...    run the `cluster` CLI on the client host, e.g. `client nodes`,
#                                             `client submit job.yaml`, `client logs JOB` (server and token filled in)
#   deploy/netns/cluster.sh down              stop every node, remove the namespaces and the bridge
#
# State (logs, journal, token, outputs) lives in $ATHANOR_NETNS_DIR (default /tmp/athanor-netns).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${ATHANOR_NETNS_DIR:-/tmp/athanor-netns}
BRIDGE=athnetns0
SUBNET=192.168.77
DLL=${ATHANOR_CLUSTER_DLL:-$PWD/src/Athanor.Cli/bin/Debug/net10.0/cluster.dll}

ns() { echo "athanor-netns-$1"; }
addr() { echo "$SUBNET.$((10 + $1))"; }
die() { echo "netns/cluster.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v ip >/dev/null || die "needs the ip command (iproute2)"

start_node() { # i: the node's namespace, seeds = every node, node 1 first (as the chart's start script does)
  local i=$1 n; n=$(cat "$DIR/count"); local seeds=()
  for j in $(seq 1 "$n"); do seeds+=("--seed=$(addr "$j"):4053"); done
  ip netns exec "$(ns "$i")" dotnet "$DLL" node --host="$(addr "$i")" --port=4053 --grpc-port=50051 --listen=0.0.0.0 --http-port=8080 \
    --roles=coordinator,worker --devices=cpu:1 --data-dir="$DIR/node-$i" --journal="sqlite:$DIR/journal.db" \
    --token-file="$DIR/token" --data-root="$DIR/data" --data-root="$PWD/examples" --output-root="$DIR/out" "${seeds[@]}" \
    >>"$DIR/node-$i.log" 2>&1 &
  echo $! > "$DIR/node-$i.pid"
  echo "node $i: $(addr "$i") (pid $!, log $DIR/node-$i.log)"
}

add_host() { # name octet
  ip netns add "$(ns "$1")"
  ip link add "athv$1" type veth peer name "athv$1p"
  ip link set "athv$1p" netns "$(ns "$1")"
  ip link set "athv$1" master $BRIDGE up
  ip -n "$(ns "$1")" link set "athv$1p" name eth0
  ip -n "$(ns "$1")" addr add "$SUBNET.$2/24" dev eth0
  ip -n "$(ns "$1")" link set eth0 up
  ip -n "$(ns "$1")" link set lo up
}

down() {
  for f in "$DIR"/node-*.pid; do [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }; done
  for n in $(ip netns list | awk '{print $1}' | grep '^athanor-netns-' || true); do
    for p in $(ip netns pids "$n"); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$n"
  done
  ip link del $BRIDGE 2>/dev/null || true
}

case "${1:-}" in
  up)
    n=${2:-3}
    [ -f "$DLL" ] || die "$DLL not found: build first (dotnet build Cluster.sln)"
    ip link show $BRIDGE >/dev/null 2>&1 && die "a lab is already up: $0 down first"
    mkdir -p "$DIR/data" "$DIR/out"; echo "$n" > "$DIR/count"
    [ -f "$DIR/token" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$DIR/token"
    trap 'echo; echo "tearing down"; down; exit 0' INT TERM
    ip link add $BRIDGE type bridge; ip link set $BRIDGE up
    for i in $(seq 1 "$n"); do add_host "$i" $((10 + i)); done
    add_host client 100
    for i in $(seq 1 "$n"); do start_node "$i"; [ "$i" = 1 ] && sleep 5; done
    echo "client host: $SUBNET.100 ($0 client nodes). Ctrl-C tears the lab down."
    while true; do sleep 3600; done ;;
  cut) ip link set "athv$2" down; echo "node $2 cut off at $(date +%T)" ;;
  restore) ip link set "athv$2" up; echo "node $2 link back at $(date +%T)" ;;
  restart) start_node "$2" ;;
  drop) ip -n "$(ns "$2")" route add blackhole "$(addr "$3")/32"; echo "packets $2 -> $3 dropped" ;;
  heal) ip -n "$(ns "$2")" route del blackhole "$(addr "$3")/32" ;;
  client) shift; ip netns exec "$(ns client)" dotnet "$DLL" "$@" --server "http://$(addr 1):50051" --token "$(cat "$DIR/token")" ;;
  down) down ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
