#!/usr/bin/env bash
# Issue 10's node failure at scale: NODES `cluster node` processes on one host, each with PER devices, train one job
# across all of them (world NODES x PER); once it has passed KILL_AT steps the last node is killed with -9. The job
# must re-form on the survivors from its last checkpoint; the script reports the recovery time (kill to the first
# step after it) and the steps lost (step at the kill minus the checkpoint it resumed from).
#
#   C=cluster-binary OUT=dir NODES=4 PER=2 bash bench/gpu/kill.sh        # 8 GPUs: nodes get cuda:0,1 / cuda:2,3 / ...
#   C=... OUT=... DEVICE_KIND=cpu NODES=3 PER=1 JOB=examples/demo.yaml EXTRA="--set max_steps=60" bash bench/gpu/kill.sh
#                                                                        # the same flow on CPU ranks (a rehearsal)
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${C:?the cluster binary}" "${OUT:?a folder for logs}"
NODES=${NODES:-4}; PER=${PER:-2}; KIND=${DEVICE_KIND:-cuda}
JOB=${JOB:-examples/qwen3_0.6b_gpu.yaml}; KILL_AT=${KILL_AT:-25}; SAVE=${SAVE_STEPS:-10}
W=${KILL_WORK:-/tmp/athanor-kill}
world=$((NODES * PER))
rm -rf "$W" && mkdir -p "$W/out" "$OUT" && openssl rand -hex 16 > "$W/token"
export ATHANOR_TOKEN=$(cat "$W/token")
common=(--token-file "$W/token" --data-root "$PWD" --output-root "$W/out" --journal "sqlite:$W/journal.db")
pids=()
for ((n = 0; n < NODES; n++)); do
  if [ "$KIND" = cpu ]; then devices="cpu:$PER"
  else devices="cuda:$(seq -s, $((n * PER)) $((n * PER + PER - 1)))"; fi
  roles=worker; [ $n -eq 0 ] && roles=coordinator,worker
  "$C" node --devices "$devices" --roles "$roles" --port $((4053 + n)) --seed 127.0.0.1:4053 --grpc-port $((50051 + n)) \
    --http-port $((9464 + n)) --data-dir "$W/n$n" "${common[@]}" > "$OUT/kill-node$n.log" 2>&1 &
  pids+=($!)
  [ $n -eq 0 ] && sleep 5
done
sleep 8

status() { "$C" status "$1" --server 127.0.0.1:50051 --json 2>/dev/null; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('$1') if d.get('$1') is not None else '')"; }

echo "== kill test: $NODES nodes x $PER $KIND device(s), world $world, $JOB, checkpoints every $SAVE steps, kill after step $KILL_AT" | tee -a "$OUT/results.txt"
# shellcheck disable=SC2086 # EXTRA is a list of flags
id=$("$C" submit "$JOB" --server 127.0.0.1:50051 --set "output_dir=kill-run" --set "save_steps=$SAVE" \
  --set "world_size=$world" --set "min_world_size=$PER" --set "max_world_size=$world" --name kill-run ${EXTRA:-} | tail -n 1 | awk '{print $NF}')
echo "job $id" | tee -a "$OUT/results.txt"

step=0; deadline=$((SECONDS + ${KILL_TIMEOUT:-900}))
while [ "$step" -le "$KILL_AT" ] && [ $SECONDS -lt $deadline ]; do
  sleep 1; step=$(status "$id" | field step); step=${step:-0}
done
victim=$((NODES - 1))
if [ "$step" -le "$KILL_AT" ]; then # never got there: say where the job stands and what its log says, kill nothing
  echo "did not reach step $KILL_AT: $(status "$id")" | tee -a "$OUT/results.txt"
  "$C" logs "$id" --server 127.0.0.1:50051 2>&1 | tail -n 30 | tee -a "$OUT/results.txt"
  for ((n = 0; n < NODES; n++)); do kill -TERM "${pids[$n]}" 2>/dev/null; done
  wait 2>/dev/null; exit 1
fi
kill -9 "${pids[$victim]}"; killed_at=$(date +%s.%N)
echo "killed node $victim (pid ${pids[$victim]}) at step $step" | tee -a "$OUT/results.txt"
attempts=$(status "$id" | field attempts)

# Recovered: the job's log says a later attempt resumed from a checkpoint, and then its step moves.
since() { python3 -c "print(f'{$(date +%s.%N) - $killed_at:.1f}')"; }
resumed=""
while [ $SECONDS -lt $deadline ]; do
  line=$("$C" logs "$id" --server 127.0.0.1:50051 2>/dev/null | grep "resumed from" | tail -n 1)
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
  echo "recovered: resumed from the checkpoint of step $from ${resumed} s after the kill, training (step $(echo "$s" | field step), world $(echo "$s" | field world_size)) after $(since) s; steps lost $((step - from))" | tee -a "$OUT/results.txt"
else
  echo "not recovered: $(status "$id")" | tee -a "$OUT/results.txt"
fi
"$C" logs "$id" --server 127.0.0.1:50051 2>/dev/null | grep -E "attempt|workers on|checkpoint" | tail -n 8 | tee -a "$OUT/results.txt"
# Let it finish on the survivors.
while [ $SECONDS -lt $deadline ]; do
  state=$(status "$id" | field state)
  [ "$state" = Succeeded ] || [ "$state" = Failed ] && break
  sleep 2
done
echo "final: $(status "$id" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['state'], 'step', d['step'], 'world', d['world_size'], 'attempts', d['attempts'])")" | tee -a "$OUT/results.txt"
for ((n = 0; n < NODES; n++)); do [ $n -ne $victim ] && kill -TERM "${pids[$n]}" 2>/dev/null; done
wait 2>/dev/null
