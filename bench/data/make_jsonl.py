#!/usr/bin/env python3
"""Writes benchmark input for bench/data: JSONL built from LLaMA-Factory's alpaca demo records.

  --format text    {"text": instruction \\n input \\n output}   (for `cluster data tokenize`)
  --format alpaca  {"instruction", "input", "output"}         (for full preprocessing)
  --bytes 0        each source record once, in order; otherwise records drawn at random (seeded) until the
                   file reaches N bytes, each instruction tagged with its line number so lines differ.
Write big files to /tmp, never into the repository, and delete them afterwards.
"""
import argparse
import json
import random

parser = argparse.ArgumentParser()
parser.add_argument("--format", choices=["text", "alpaca"], required=True)
parser.add_argument("--bytes", type=int, default=0)
parser.add_argument("--out", required=True)
parser.add_argument("sources", nargs="+", help="alpaca-format .json files")
args = parser.parse_args()

records = [r for path in args.sources for r in json.load(open(path, encoding="utf-8"))]


def line(r, tag=""):
    instruction = r["instruction"] + tag
    if args.format == "text":
        parts = [instruction, r.get("input", ""), r["output"]]
        return json.dumps({"text": "\n".join(p for p in parts if p)}, ensure_ascii=False)
    return json.dumps({"instruction": instruction, "input": r.get("input", ""), "output": r["output"]}, ensure_ascii=False)


with open(args.out, "w", encoding="utf-8") as out:
    if args.bytes == 0:
        for r in records:
            out.write(line(r) + "\n")
    else:
        rng = random.Random(1234)
        written, n = 0, 0
        while written < args.bytes:
            n += 1
            text = line(rng.choice(records), f" (#{n})") + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
