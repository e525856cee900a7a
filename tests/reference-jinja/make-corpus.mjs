// Writes the parity corpus: varied conversations as chat-template variables, one JSON object a line.
// Usage: node make-corpus.mjs > ../Athanor.Core.Tests/TestData/Templates/corpus.jsonl
// Deterministic (seeded), so re-running it reproduces the committed file.

let seed = 20250314;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const systems = [
  "You are a helpful assistant.",
  "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
  "你是一个乐于助人的助手。",
  "  Answer briefly.  \n",
  "Follow the rules:\n1. Be kind.\n2. Be exact.",
  "",
];
const users = [
  "Hello!",
  "What is 2 + 2?",
  "请用中文介绍一下你自己。",
  "Translate 'good morning' to French.",
  "  Leading and trailing spaces  ",
  "Line one\nLine two\n\nLine four",
  "Write {{ not_a_variable }} and {% raw %} literally.",
  "Quotes: \"double\" and 'single' and back\\slash",
  "Emoji test 🚀🔥 and accents: café, naïve",
  "<tool_response>looks like a tool response</tool_response>",
  "Tabs\there\tand\ttabs",
  "",
];
const assistants = [
  "Hi there! How can I help?",
  "2 + 2 = 4.",
  "我是一个人工智能助手，很高兴为你服务。",
  "Bonjour !",
  "\n\nStarts with newlines and ends with spaces   ",
  "```python\nprint('hello')\n```",
  "<think>\nThe user greets me.\n</think>\n\nHello! 👋",
  "<think>\n\n</think>\n\nNo reasoning needed.",
  "Sure — here's a list:\n- a\n- b\n- c",
  "",
];

const tools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get the current weather in a city",
      parameters: { type: "object", properties: { city: { type: "string", description: "City name, e.g. 北京" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city"] },
    },
  },
  {
    type: "function",
    function: { name: "search", description: "Search the web", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } },
  },
];

const out = [];
const add = (messages, extra = {}) => out.push({ messages, ...extra });

// Hand-picked shapes first.
add([{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }]);
add([{ role: "system", content: "You are terse." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }]);
add([{ role: "system", content: "" }, { role: "user", content: "Empty system prompt" }, { role: "assistant", content: "OK" }]);
add([{ role: "user", content: "Only a question" }], { add_generation_prompt: true });
add([{ role: "system", content: "Sys" }, { role: "user", content: "Q" }], { add_generation_prompt: true });
add([{ role: "user", content: "Think please" }, { role: "assistant", content: "<think>\nLet me think.\n</think>\n\nDone." }]);
add([{ role: "user", content: "Q1" }, { role: "assistant", content: "<think>\nr1\n</think>\n\nA1" }, { role: "user", content: "Q2" }, { role: "assistant", content: "<think>\nr2\n</think>\n\nA2" }]);
add([{ role: "user", content: "Q" }, { role: "assistant", content: "A", reasoning_content: "separate reasoning" }]);
add([{ role: "user", content: "Q" }], { add_generation_prompt: true, enable_thinking: false });
add([{ role: "user", content: "What's the weather in Paris?" }, { role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }] }, { role: "tool", content: "{\"temp\": 21}" }, { role: "assistant", content: "It is 21 °C in Paris." }], { tools });
add([{ role: "system", content: "Use tools." }, { role: "user", content: "Weather in 北京 and 上海?" }, { role: "assistant", content: "Checking both.", tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "北京" } } }, { type: "function", function: { name: "get_weather", arguments: { city: "上海", unit: "celsius" } } }] }, { role: "tool", content: "晴" }, { role: "tool", content: "多云" }, { role: "assistant", content: "北京晴，上海多云。" }], { tools });
add([{ role: "user", content: "Search cats" }, { role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "search", arguments: { query: "cats" } } }] }, { role: "tool", content: "Cats are mammals." }], { tools, add_generation_prompt: true });
add([{ role: "user", content: "Use a tool" }], { tools, add_generation_prompt: true });
add([{ role: "system", content: "First" }, { role: "user", content: "Q" }, { role: "system", content: "Second system in the middle" }, { role: "assistant", content: "A" }]);
add([{ role: "assistant", content: "Assistant speaks first" }, { role: "user", content: "then user" }]);
add([{ role: "user", content: "u1" }, { role: "user", content: "u2 (two user turns in a row)" }, { role: "assistant", content: "a" }]);

// Then generated conversations.
while (out.length < 130) {
  const messages = [];
  const r = rand();
  if (r < 0.45) messages.push({ role: "system", content: pick(systems) });
  const turns = 1 + Math.floor(rand() * 4);
  for (let t = 0; t < turns; t++) {
    messages.push({ role: "user", content: pick(users) });
    messages.push({ role: "assistant", content: pick(assistants) });
  }
  const extra = {};
  if (rand() < 0.2) {
    messages.pop();
    extra.add_generation_prompt = true;
  }
  add(messages, extra);
}

process.stdout.write(out.map((o) => JSON.stringify(o)).join("\n") + "\n");
