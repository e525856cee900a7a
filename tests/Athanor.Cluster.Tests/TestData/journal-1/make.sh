#!/usr/bin/env bash
# Makes journal.db beside this script: the SQLite journal of a one-member `cluster node` built from this repository,
# holding one job that succeeded (named job-done: 4 steps) and one that waits for two CPU slots the node does not
# have (named job-waits). JournalCompatibilityTests recovers it with the node of today, so a change of wiring (plugin ids,
# table mapping, tag mode, sharding's remember-entities store) or of the journaled event types that stops an
# existing data directory from recovering its jobs fails a test.
#
# journal.db as committed was made on 2026-12-07 on the 2-core Debian 12 development machine, at commit aab915a
# (the wiring of that commit: HOCON written by ClusterConfig, the SQL plugin's .conf files loaded by reflection).
# Usage: make.sh [PATH-TO-cluster.dll]   (default: src/Athanor.Cli/bin/Debug/net10.0/cluster.dll; build it first)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
dll="${1:-$repo/src/Athanor.Cli/bin/Debug/net10.0/cluster.dll}"
work="$(mktemp -d)"
trap 'rc=$?; kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; [ $rc = 0 ] || tail -20 "$work/node.log" >&2; rm -rf "$work"' EXIT
mkdir -p "$work/data/model" "$work/runs" "$work/state"
cat > "$work/data/model/config.json" <<'JSON'
{"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
 "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
JSON
cp -r "$repo/examples/demo/data" "$work/data/demo"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token"
akka=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grpc=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet "$dll" node --port "$akka" --grpc-port "$grpc" --devices cpu:1 --data-dir "$work/state" \
  --token-file "$work/token" --data-root "$work/data" --output-root "$work/runs" > "$work/node.log" 2>&1 &
node=$!
server="http://127.0.0.1:$grpc"
client() { dotnet "$dll" "$@" --server "$server" --token "$(cat "$work/token")"; }
for _ in $(seq 60); do client nodes > /dev/null 2>&1 && break; sleep 1; done
job() {
  cat > "$work/$1.yaml" <<YAML
model_name_or_path: $work/data/model
init: random
tokenizer: byte
finetuning_type: full
dataset: identity
dataset_dir: $work/data/demo
template: default
cutoff_len: 64
max_samples: 16
output_dir: $work/runs/$1
logging_steps: 1
save_steps: 2
per_device_train_batch_size: 4
learning_rate: 1.0e-2
max_steps: 4
seed: 1
$2
YAML
  client submit "$work/$1.yaml" --name "$1"
}
done_id=$(job job-done "" | awk 'END {print $NF}')
for _ in $(seq 120); do client status "$done_id" | tee "$work/status" | grep -qi succeeded && break; sleep 1; done
grep -qi succeeded "$work/status" || { cat "$work/status" >&2; exit 1; }
job job-waits "world_size: 2
min_world_size: 2" > /dev/null
sleep 3
client list
kill -TERM "$node"; wait "$node" || true
cp "$work/state/journal.db" "$here/journal.db"
echo "wrote $here/journal.db"
