// Cross-check of Athanor's TensorBoard event files with code Athanor did not write: TFRecord CRCs through
// @roboflow/tfrecords' crc32c and maskCrc, Event/Summary/Value decoded with google-protobuf's BinaryReader.
// Usage: node check.js OUTPUT_DIR [LOGGING_DIR]  (LOGGING_DIR defaults to OUTPUT_DIR/runs)
// Exits 0 when every record's CRCs hold and the merged train/loss and eval/loss equal metrics.jsonl's
// (as float32), after applying SessionLog START purges as TensorBoard does.
"use strict";
const fs = require("fs");
const path = require("path");
const { crc32c, maskCrc } = require("@roboflow/tfrecords/src/tensorFlowHelpers");
const { BinaryReader } = require("google-protobuf");

function records(buf, file) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const lenBytes = buf.subarray(at, at + 8);
    const len = Number(buf.readBigUInt64LE(at));
    if (buf.readUInt32LE(at + 8) !== maskCrc(crc32c(lenBytes))) throw new Error(`${file}: bad length CRC at ${at}`);
    const data = buf.subarray(at + 12, at + 12 + len);
    if (buf.readUInt32LE(at + 12 + len) !== maskCrc(crc32c(data))) throw new Error(`${file}: bad data CRC at ${at}`);
    out.push(data);
    at += 12 + len + 4;
  }
  return out;
}

function decodeEvent(bytes) {
  const e = { wallTime: 0, step: 0, fileVersion: null, sessionStatus: null, scalars: [] };
  const r = new BinaryReader(bytes);
  while (r.nextField() && !r.isEndGroup()) {
    switch (r.getFieldNumber()) {
      case 1: e.wallTime = r.readDouble(); break;
      case 2: e.step = r.readInt64(); break;
      case 3: e.fileVersion = r.readString(); break;
      case 5: r.readMessage(null, (_, sr) => {
        while (sr.nextField() && !sr.isEndGroup()) {
          if (sr.getFieldNumber() !== 1) { sr.skipField(); continue; }
          const v = { tag: "", value: NaN };
          sr.readMessage(v, (vv, vr) => {
            while (vr.nextField() && !vr.isEndGroup()) {
              if (vr.getFieldNumber() === 1) vv.tag = vr.readString();
              else if (vr.getFieldNumber() === 2) vv.value = vr.readFloat();
              else vr.skipField();
            }
          });
          e.scalars.push(v);
        }
      }); break;
      case 7: r.readMessage(null, (_, sr) => {
        while (sr.nextField() && !sr.isEndGroup()) {
          if (sr.getFieldNumber() === 1) e.sessionStatus = sr.readEnum(); else sr.skipField();
        }
      }); break;
      default: r.skipField();
    }
  }
  return e;
}

const outputDir = process.argv[2];
if (!outputDir) { console.error("usage: node check.js OUTPUT_DIR [LOGGING_DIR]"); process.exit(2); }
const logDir = process.argv[3] || path.join(outputDir, "runs");
const files = fs.readdirSync(logDir).filter(f => f.includes("tfevents")).sort();
let points = [];
let events = 0;
for (const f of files) {
  for (const rec of records(fs.readFileSync(path.join(logDir, f)), f)) {
    const e = decodeEvent(rec);
    events++;
    if (e.sessionStatus === 1) points = points.filter(p => p.step < e.step);
    for (const s of e.scalars) points.push({ step: e.step, tag: s.tag, value: s.value });
  }
}
const rows = fs.readFileSync(path.join(outputDir, "metrics.jsonl"), "utf8").split("\n").filter(Boolean).map(JSON.parse);
let failed = 0;
for (const [key, tag] of [["loss", "train/loss"], ["eval_loss", "eval/loss"], ["lr", "train/learning_rate"]]) {
  const want = rows.filter(r => key in r).map(r => `${r.step}:${Math.fround(r[key])}`);
  const got = points.filter(p => p.tag === tag).map(p => `${p.step}:${p.value}`);
  const same = JSON.stringify(want) === JSON.stringify(got);
  if (!same) failed++;
  console.log(`${same ? "ok  " : "DIFF"} ${tag}: ${got.length} points${same ? "" : `\n  metrics.jsonl ${want.join(" ")}\n  event files   ${got.join(" ")}`}`);
}
console.log(`${files.length} event file(s), ${events} records, CRCs verified; tags: ${[...new Set(points.map(p => p.tag))].join(", ")}`);
process.exit(failed ? 1 : 0);
