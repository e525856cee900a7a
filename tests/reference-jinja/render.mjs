// Renders a chat template with @huggingface/jinja for every line of a JSONL file.
// Usage: node render.mjs <template-file> <variables.jsonl>
// Each input line is the variables object (messages, tools, add_generation_prompt, bos_token, ...). An optional
// "__now" (ISO date-time) fixes what strftime_now() sees, so renders are reproducible.
// Writes one JSON line per input line to stdout: {"text": "..."} or {"error": "..."}.
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

const [templatePath, inputPath] = process.argv.slice(2);
if (!templatePath || !inputPath) {
  console.error("usage: node render.mjs <template-file> <variables.jsonl>");
  process.exit(2);
}

// strftime_now() in @huggingface/jinja formats `new Date()` in local time; pin both the zone and the clock.
process.env.TZ = "UTC";
const RealDate = Date;
let fixedNow = null;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0 && fixedNow !== null) super(fixedNow);
    else super(...args);
  }
};

const template = new Template(readFileSync(templatePath, "utf8"));
const lines = readFileSync(inputPath, "utf8").split("\n");
const out = [];
lines.forEach((line, i) => {
  if (line.trim() === "") return;
  let vars;
  try {
    vars = JSON.parse(line);
  } catch (e) {
    console.error(`${inputPath}:${i + 1}: not valid JSON: ${e.message}`);
    process.exit(1);
  }
  fixedNow = vars.__now ? RealDate.parse(vars.__now + "Z") : null;
  delete vars.__now;
  try {
    out.push(JSON.stringify({ text: template.render(vars) }));
  } catch (e) {
    out.push(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
  }
});
process.stdout.write(out.join("\n") + "\n");
