#!/usr/bin/env python3
"""Writes tests/Athanor.Core.Tests/TestData/Tokenization/corpus.jsonl: hand-written edge cases plus
lines from LLaMA-Factory's alpaca_zh_demo.json / alpaca_en_demo.json (Apache-2.0).
usage: python3 bench/tokenizers/make_corpus.py [LLAMAFACTORY_DATA_DIR]   (default ../shared/datasets/llamafactory)"""
import json, os, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "datasets", "llamafactory")
out = os.path.join(root, "tests", "Athanor.Core.Tests", "TestData", "Tokenization", "corpus.jsonl")

hand = [
    # English prose, contractions, casing
    "Hello world",
    "Hello, world! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    "don't", "DON'T", "Don't you think it's fine? I'm sure they're right, we've done it, you'll see, he'd agree.",
    "IT'S THEY'RE WE'VE I'M YOU'LL HE'D SHE'S", "rock 'n' roll", "'s 't 're 've 'm 'll 'd", "O'Neil's dog's bone",
    "''quoted'' and ``backticks``", "the cat's meow—an em dash – an en dash… ellipsis", "“Smart quotes” and ‘single ones’",
    "A sentence with a trailing space ", "  two leading spaces", "   ", " ", "a", "I", "\n", "\n\n\n", "\t", "\r\n",
    "word\tword\t\ttab  two   three    four", "line one\nline two\n\nline four\n", "trailing newline and spaces  \n  ",
    "windows\r\nline\r\nends\r\n", "mixed \t \n \r\n whitespace", "end with tab\t", "multiple\n\n\n\nnewlines",
    "          ten spaces then text", "text then ten spaces          ",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism", "ALL CAPS SENTENCE WITH SHOUTING!!!",
    "e.g. i.e. etc. Mr. Smith vs. Dr. Jones", "email: someone@example.com, url: https://example.org/a/b?c=d&e=f#frag",
    "C:\\Users\\name\\file.txt and /usr/local/bin", "#hashtag @mention $dollar %percent ^caret &amp *star",
    "(parentheses) [brackets] {braces} <angles>", "a+b=c; x-y*z/w; 3^2; 10%; ~tilde; `code`; |pipe|",
    "Déjà vu, naïve café, résumé, façade, Ångström, Straße, Œuvre", "Ünïcödé ÀÉÎÕÜ àéîõü ñÑ çÇ",
    "e\u0301 combining acute versus precomposed é", "A\u030a vs Å vs \u212b (angstrom sign)", "ﬁ ligature ﬂ ﬀ",
    "full-width ＡＢＣ１２３ ！？", "non\u00a0breaking\u00a0space", "zero\u200bwidth\u200bspace", "soft\u00adhyphen",
    "ideographic\u3000space", "thin\u2009space and en\u2002space",
    # digits
    "0", "7", "42", "123", "1234", "12345", "123456", "1234567", "12345678901234567890",
    "3.14159265358979323846264338327950288419716939937510", "1,000,000 and 1.000.000,00", "-273.15°C",
    "Phone: +1 (555) 123-4567", "2024-03-15T10:30:00Z", "version 1.2.3-beta.4+build.567", "0x1F 0b1010 1e-9 6.02e23",
    "٠١٢٣٤٥٦٧٨٩ Arabic-Indic digits", "१२३ Devanagari digits", "①②③ circled, Ⅻ roman, ½ ¾ fractions", "第1名，共25人。",
    "Room 101, floor 3, building 42B", "$1,234.56 €99,99 ¥10000 £5",
    # Chinese simplified / traditional with punctuation
    "你好，世界！", "今天天气很好，我们去公园散步吧。", "人工智能（AI）正在改变世界——不仅是科技行业。",
    "“你吃饭了吗？”他问道。", "《红楼梦》是中国古典四大名著之一；作者是曹雪芹。", "中华人民共和国成立于1949年10月1日。",
    "繁體中文：這是一個測試句子，包含標點符號。", "學習機器學習需要耐心與練習！", "臺灣、香港、澳門使用繁體字。",
    "中文English混合text测试123", "【注意】请勿在此处吸烟、饮食……", "一二三四五六七八九十百千万亿",
    "　全角空格开头", "问：为什么天空是蓝色的？\n答：因为瑞利散射。",
    # Japanese / Korean / Arabic / others
    "こんにちは、世界！", "日本語のテキストとカタカナ、ひらがな、漢字が混在しています。", "ｶﾀｶﾅ半角カナ",
    "東京は日本の首都です。", "안녕하세요, 세계!", "한국어 문장은 띄어쓰기를 사용합니다.", "مرحبا بالعالم!",
    "اللغة العربية تُكتب من اليمين إلى اليسار.", "שלום עולם", "Привет, мир! Как дела?", "Ελληνικά: Γειά σου Κόσμε",
    "हिन्दी: नमस्ते दुनिया", "ภาษาไทย สวัสดีชาวโลก", "Tiếng Việt: Xin chào thế giới", "ქართული ენა", "Հայերեն",
    "Mixed: English, 中文, 日本語, 한국어, العربية, русский, ελληνικά in one line.",
    # Emoji
    "😀", "I love 🍕 and 🍣!", "👍🏽 thumbs up medium skin", "👨‍👩‍👧‍👦 family ZWJ", "🏳️‍🌈 rainbow flag",
    "🇺🇸🇨🇳🇯🇵🇩🇪🇫🇷 flags", "❤️ vs ❤ (variation selector)", "👩🏾‍💻 technologist", "🧑‍🤝‍🧑", "emoji🎉without🎉spaces",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland tag sequence", "☺︎ text style ☺️ emoji style", "1️⃣ 2️⃣ #️⃣ keycaps", "😀😃😄😁😆😅😂🤣",
    # Special-token strings inside plain text
    "<|im_start|>user\nHello<|im_end|>", "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>assistant\n",
    "text with <|endoftext|> in the middle", "<|endoftext|><|endoftext|>", "<s>", "</s>", "<s> hello </s>",
    "<s>no spaces</s>", "before<s>after", "A </s> B <s> C", "<|begin_of_text|>Hello", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<|end_of_text|> and <|eot_id|>", "<unk> token", "<|im_start|", "<|im_start", "<|fake_token|>", "< s >",
    "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>", "<|vision_start|><|image_pad|><|vision_end|>",
    "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "<<s>>", "<|<|im_end|>|>", "x<|im_end|>y<|im_start|>z",
    # Code
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "import numpy as np\n\nclass Model:\n    def __init__(self, dim: int = 128) -> None:\n        self.w = np.zeros((dim, dim))  # weights\n",
    "for i in range(10):\n\tprint(f\"{i:03d}\")\n", "    # four-space indented comment\n        eight spaces\n",
    "lambda x: x ** 2 if x % 2 == 0 else -x", "print('it\\'s', \"quoted\", r'\\raw')",
    "public sealed class Foo : IBar\n{\n    private readonly int _x;\n\n    public Foo(int x) => _x = x;\n}\n",
    "var list = new List<int> { 1, 2, 3 };\nforeach (var x in list) Console.WriteLine($\"{x}\");",
    "namespace Athanor.Tokenization;\n\n/// <summary>XML doc</summary>\ninternal static class X { }",
    "{\"name\": \"Athanor\", \"version\": 1, \"tags\": [\"llm\", \"c#\"], \"nested\": {\"a\": null, \"b\": true}}",
    "{\n  \"key\": \"value\",\n  \"number\": 12345.678,\n  \"array\": [\n    1,\n    2\n  ]\n}",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;", "<html><body><div class=\"x\">Hi &amp; bye</div></body></html>",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }", "fn main() { let v: Vec<u8> = vec![1, 2]; println!(\"{:?}\", v); }",
    "const f = async (a, b) => { await g(a ?? b); };", "x=1;y=2;z=x+y", "a_b_c snake_case CamelCase kebab-case SCREAMING_CASE",
    "if (a && b || !c) { return; } else if (d != e) { x <<= 2; }", "$ ls -la | grep \"*.cs\" > out.txt 2>&1",
    "```python\nprint(\"hello\")\n```", "// comment\n/* block\n   comment */", "    \n    \n", "\t\tdouble tab indent\n\t\t\ttriple",
    "```\n\n```", "diff --git a/x b/x\n@@ -1,3 +1,4 @@\n-old line\n+new line\n", "key: value\nlist:\n  - item1\n  - item2\n",
    # Odd characters
    "\u0000null char", "bell\u0007 and escape\u001b[31mred\u001b[0m", "tab\u000bvertical\u000cformfeed", "next line\u0085char",
    "line\u2028separator and para\u2029separator", "replacement char \ufffd", "private use \ue000", "math 𝔸𝔹ℂ 𝒳 ∑∫∂√∞≠≈≤≥",
    "arrows ← → ↑ ↓ ⇒ ⇔", "box drawing ┌─┐│└┘", "music 𝄞 ♪ ♫", "ancient 𐌰𐌱𐌲 gothic", "caf\u00e9 vs cafe\u0301",
    "Ǆ ǅ ǆ title-case digraphs", "İstanbul ıi", "ß ẞ SS", "ǰ̌ stacked", "Å", "\u1100\u1161\u11a8 conjoining jamo",
]

records = []
for t in hand:
    records.append(t)

def take(name, count, step):
    with open(os.path.join(data_dir, name), encoding="utf-8") as f:
        data = json.load(f)
    for i in range(0, min(len(data), count * step), step):
        r = data[i]
        records.append(r["instruction"])
        if r["input"]:
            records.append(r["input"])
        records.append(r["output"])

take("alpaca_zh_demo.json", 60, 16)
take("alpaca_en_demo.json", 60, 16)

with open(out, "w", encoding="utf-8", newline="\n") as f:
    for t in records:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
print(f"{len(records)} lines -> {out}")
