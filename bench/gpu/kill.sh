#!/usr/bin/env bash
# Issue 10's node failure at scale: NODES `cluster node` processes on one host, each with PER devices, train one job
# across all of them (world NODES x PER); once it has passed KILL_AT steps the last node the job runs on is killed
# with -9. The job must re-form on the survivors from its last checkpoint; the script reports the recovery time (kill
# to the first step after it) and the steps lost (step at the kill minus the checkpoint it resumed from).
#
#   C=cluster-binary OUT=dir NODES=4 PER=2 bash bench/gpu/kill.sh        # 8 GPUs: nodes get cuda:0,1 / cuda:2,3 / ...
#   C=... OUT=... DEVICE_KIND=cpu NODES=3 PER=1 JOB=examples/demo.yaml EXTRA="--set max_steps=60" bash bench/gpu/kill.sh
#                                                                        # the same flow on CPU ranks (a rehearsal)
#   C=... OUT=... NODES=3 PER=1 DEVICES=cuda:0 WORLD=1 ROLES0=coordinator bash bench/gpu/kill.sh
#       one GPU: node 0 only coordinates, nodes 1 and 2 both offer the GPU; the job runs on one and moves to the other
#       (three members, so the two survivors are a majority and the split-brain resolver keeps them up)
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${C:?the cluster binary}" "${OUT:?a folder for logs}"
NODES=${NODES:-4}; PER=${PER:-2}; KIND=${DEVICE_KIND:-cuda}
JOB=${JOB:-examples/qwen3_0.6b_gpu.yaml}; KILL_AT=${KILL_AT:-25}; SAVE=${SAVE_STEPS:-10}
W=${KILL_WORK:-/tmp/athanor-kill}
world=${WORLD:-$((NODES * PER))}
rm -rf "$W" && mkdir -p "$W/out" "$OUT" && openssl rand -hex 16 > "$W/token"
export ATHANOR_TOKEN=$(cat "$W/token")
common=(--token-file "$W/token" --data-root "$PWD" --output-root "$W/out" --journal "sqlite:$W/journal.db")
pids=()
for ((n = 0; n < NODES; n++)); do
  if [ -n "${DEVICES:-}" ]; then devices=$DEVICES
  elif [ "$KIND" = cpu ]; then devices="cpu:$PER"
  else devices="cuda:$(seq -s, $((n * PER)) $((n * PER + PER - 1)))"; fi
  roles=worker; [ $n -eq 0 ] && roles=${ROLES0:-coordinator,worker}
  "$C" node --devices "$devices" --roles "$roles" --port $((4053 + n)) --seed 127.0.0.1:4053 --grpc-port $((50051 + n)) \
    --http-port $((9464 + n)) --data-dir "$W/n$n" "${common[@]}" > "$OUT/kill-node$n.log" 2>&1 &
  pids+=($!)
  [ $n -eq 0 ] && sleep 5
done
sleep 8

server=127.0.0.1:50051 # node 0 until it is the one killed
status() { "$C" status "$1" --server $server --json 2>/dev/null; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('$1') if d.get('$1') is not None else '')"; }

echo "== kill test: $NODES nodes x $PER $KIND device(s), world $world, $JOB, checkpoints every $SAVE steps, kill after step $KILL_AT" | tee -a "$OUT/results.txt"
# shellcheck disable=SC2086 # EXTRA is a list of flags
id=$("$C" submit "$JOB" --server $server --set "output_dir=kill-run" --set "save_steps=$SAVE" \
  --set "world_size=$world" --set "min_world_size=$((PER < world ? PER : world))" --set "max_world_size=$world" --name kill-run ${EXTRA:-} | tail -n 1 | awk '{print $NF}')
echo "job $id" | tee -a "$OUT/results.txt"

step=0; deadline=$((SECONDS + ${KILL_TIMEOUT:-900}))
while [ "$step" -le "$KILL_AT" ] && [ $SECONDS -lt $deadline ]; do
  sleep 1; step=$(status "$id" | field step); step=${step:-0}
done
# The victim: the last node the job's current attempt runs on. Each rank's "first step done" line names its node by
# Akka port (4053 + n); the lines after the last "state Running" are the current attempt's.
placed=$("$C" logs "$id" --server $server 2>/dev/null | awk '/state Running/ { lines = "" } /rank [0-9]+\/[0-9]+ on / { lines = lines $0 "\n" } END { printf "%s", lines }')
victim=$(echo "$placed" | grep -oE "127\.0\.0\.1:[0-9]+" | sed 's/.*://' | sort -n | tail -n 1)
victim=$(( ${victim:-$((4053 + NODES - 1))} - 4053 ))
if [ "$step" -le "$KILL_AT" ]; then # never got there: say where the job stands and what its log says, kill nothing
  echo "did not reach step $KILL_AT: $(status "$id")" | tee -a "$OUT/results.txt"
  "$C" logs "$id" --server $server 2>&1 | tail -n 30 | tee -a "$OUT/results.txt"
  for ((n = 0; n < NODES; n++)); do kill -TERM "${pids[$n]}" 2>/dev/null; done
  wait 2>/dev/null; exit 1
fi
kill -9 "${pids[$victim]}"; killed_at=$(date +%s.%N)
[ "$victim" -eq 0 ] && server=127.0.0.1:50052 # ask a survivor from now on
echo "killed node $victim (pid ${pids[$victim]}) at step $step" | tee -a "$OUT/results.txt"
attempts=$(status "$id" | field attempts)

# Recovered: the job's log says a later attempt resumed from a checkpoint, and then its step moves.
since() { python3 -c "print(f'{$(date +%s.%N) - $killed_at:.1f}')"; }
resumed=""
while [ $SECONDS -lt $deadline ]; do
  line=$("$C" logs "$id" --server $server 2>/dev/null | grep "resumed from" | tail -n 1)
  if [ -n "$line" ] && [ "$(status "$id" | field attempts)" -gt "${attempts:-1}" ]; then resumed=$(since); break; fi
  [ "$(status "$id" | field state)" = Failed ] && break
  sleep 0.5
done
if [ -n "$resumed" ]; then
  at=$(status "$id" | field step)
  while [ $SECONDS -lt $deadline ] && [ "$(status "$id" | field step)" = "$at" ]; do sleep 0.5; done
  s=$(status "$id")
  ckpt=$(echo "$s" | field last_checkpoint_step)
  from=$(echo "$line" | sed -E 's/.* at step ([0-9]+).*/\1/')
  # The last step the killed attempt finished, from its step lines (the status polled before the kill can lag);
  # the log is lost if the job's entity lived on the killed node, and then the polled step stands.
  last=$("$C" logs "$id" --server $server 2>/dev/null | awk '$2 == "step" { split($3, a, "/"); s = a[1] } /attempt [0-9]+ ended/ { print s; exit }')
  [ -n "$last" ] && [ "$last" -gt "$step" ] && step=$last
  echo "recovered: resumed from the checkpoint of step $from ${resumed} s after the kill, training (step $(echo "$s" | field step), world $(echo "$s" | field world_size)) after $(since) s; steps lost $((step - from))" | tee -a "$OUT/results.txt"
else
  echo "not recovered: $(status "$id")" | tee -a "$OUT/results.txt"
fi
"$C" logs "$id" --server $server 2>/dev/null | grep -E "attempt|checkpoint|resumed|first step done|still " | tail -n 24 | tee -a "$OUT/results.txt"
# Let it finish on the survivors.
while [ $SECONDS -lt $deadline ]; do
  state=$(status "$id" | field state)
  [ "$state" = Succeeded ] || [ "$state" = Failed ] && break
  sleep 2
done
echo "final: $(status "$id" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['state'], 'step', d['step'], 'world', d['world_size'], 'attempts', d['attempts'])")" | tee -a "$OUT/results.txt"
for ((n = 0; n < NODES; n++)); do [ $n -ne $victim ] && kill -TERM "${pids[$n]}" 2>/dev/null; done
wait 2>/dev/null
