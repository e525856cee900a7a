// Reference token ids for Athanor's tokenizer parity tests, from transformers.js (@lenml/tokenizers)
// loaded with the real Hugging Face tokenizer files that the @lenml/tokenizer-* packages ship.
//
// usage: node encode.mjs MODEL CORPUS.jsonl [OUT.jsonl]     MODEL: qwen3 | llama3 | llama2
// Each corpus line {"text": ...} gives one output line:
//   {"ids": [...], "idsSpecial": [...], "decoded": "...", "decodedSpecial": "...", "decodedSkip": "..."}
// ids: encode without special tokens; idsSpecial: with them (the post_processor's template);
// decoded: decode(ids); decodedSpecial: decode(idsSpecial); decodedSkip: decode(idsSpecial, skip_special_tokens).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { TokenizerLoader } from "@lenml/tokenizers";

const require = createRequire(import.meta.url);
const models = ["qwen3", "llama3", "llama2"];

const [model, corpusPath, outPath] = process.argv.slice(2);
if (!models.includes(model) || !corpusPath) {
  console.error(`usage: node encode.mjs MODEL CORPUS.jsonl [OUT.jsonl]  (MODEL: ${models.join(" | ")})`);
  process.exit(2);
}

const pkg = `@lenml/tokenizer-${model}`;
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: require(`${pkg}/models/tokenizer.json`),
  tokenizerConfig: require(`${pkg}/models/tokenizer_config.json`),
});

const out = [];
const lines = readFileSync(corpusPath, "utf8").split("\n");
lines.forEach((line, i) => {
  if (line.trim() === "") return;
  let text;
  try {
    text = JSON.parse(line).text;
  } catch (e) {
    throw new Error(`${corpusPath}:${i + 1}: not JSON: ${e.message}`);
  }
  if (typeof text !== "string") throw new Error(`${corpusPath}:${i + 1}: "text" must be a string`);
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const idsSpecial = tokenizer.encode(text, { add_special_tokens: true });
  out.push(JSON.stringify({
    ids,
    idsSpecial,
    decoded: tokenizer.decode(ids),
    decodedSpecial: tokenizer.decode(idsSpecial),
    decodedSkip: tokenizer.decode(idsSpecial, { skip_special_tokens: true }),
  }));
});

const text = out.join("\n") + "\n";
if (outPath) writeFileSync(outPath, text);
else process.stdout.write(text);
