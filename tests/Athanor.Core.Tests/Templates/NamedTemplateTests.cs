using Athanor.Data;
using Athanor.Templates;

namespace Athanor.Tests.Templates;

public class NamedTemplateTests
{
    private static Conversation Chat(string? system, params string[] turns) =>
        new(turns.Select((t, i) => new ChatMessage(i % 2 == 0 ? "user" : "assistant", t)).ToList(), system);

    private static ModelChatTemplate Official(string file) =>
        new(TemplateTestData.Read(file), TemplateTestData.SpecialTokens(file).Bos, TemplateTestData.SpecialTokens(file).Eos) { Now = () => TemplateTestData.FixedNow };

    public static TheoryData<string?, string[]> PlainChats => new()
    {
        { null, new[] { "Hi", "Hello!" } },
        { "You are terse.", new[] { "Q1", "A1", "Q2 多轮", "A2 回答" } },
        { "Sys", new[] { "Line\nbreaks", "```\ncode\n```" } },
    };

    [Theory]
    [MemberData(nameof(PlainChats))]
    public void QwenEqualsOfficialQwen25Template(string? system, string[] turns)
    {
        var conv = Chat(system, turns);
        Assert.Equal(Official("qwen2_5.jinja").RenderText(conv), ChatTemplates.Get("qwen", CharTokenizer.Qwen()).RenderText(conv));
    }

    [Theory]
    [MemberData(nameof(PlainChats))]
    public void Llama3EqualsOfficialLlama3Template(string? system, string[] turns)
    {
        // Meta's Llama 3 template always appends the assistant header (it ignores add_generation_prompt).
        var conv = Chat(system, turns);
        Assert.Equal(Official("llama3.jinja").RenderText(conv),
            ChatTemplates.Get("llama3", CharTokenizer.Llama3()).RenderText(conv) + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    [Fact]
    public void Qwen3SingleTurnEqualsOfficialQwen3TemplateWithItsEmptyThinkBlock()
    {
        var conv = Chat("Sys", "Hi", "Hello!");
        string ours = ChatTemplates.Get("qwen3", CharTokenizer.Qwen()).RenderText(conv);
        Assert.Equal(Official("qwen3.jinja").RenderText(conv), ours);
        Assert.Equal("<|im_start|>system\nSys<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n", ours);
        // A reply that already carries its thought keeps it and gets no extra block.
        var thought = Chat(null, "Hi", "<think>\nhmm\n</think>\n\nHello!");
        Assert.Equal(Official("qwen3.jinja").RenderText(thought), ChatTemplates.Get("qwen3", CharTokenizer.Qwen()).RenderText(thought));
    }

    [Fact]
    public void Qwen3NothinkHasNoThinkBlocks() =>
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n", ChatTemplates.Get("qwen3_nothink", CharTokenizer.Qwen()).RenderText(Chat(null, "Hi", "Hello!")));

    [Fact]
    public void QwenToolConversationEqualsOfficialQwen25Template()
    {
        const string tools = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]";
        var conv = new Conversation(new List<ChatMessage>
        {
            new("user", "Weather in 北京?"),
            new("function_call", "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\"}}"),
            new("observation", "{\"temp\": 21}"),
            new("assistant", "21 °C."),
        }, null, tools);
        // The Qwen2.5 0.5B template writes the example call with doubled braces; LLaMA-Factory (and Qwen2.5-Coder's template) single.
        string official = Official("qwen2_5.jinja").RenderText(conv)
            .Replace("{{\"name\": <function-name>, \"arguments\": <args-json-object>}}", "{\"name\": <function-name>, \"arguments\": <args-json-object>}");
        Assert.Equal(official, ChatTemplates.Get("qwen", CharTokenizer.Qwen()).RenderText(conv));
    }

    [Fact]
    public void Llama2FusesSystemIntoFirstUserTurn() =>
        Assert.Equal("<s>[INST] <<SYS>>\nSys\n<</SYS>>\n\nQ1 [/INST]A1</s><s>[INST] Q2 [/INST]A2</s>",
            ChatTemplates.Get("llama2", CharTokenizer.Llama2()).RenderText(Chat("Sys", "Q1", "A1", "Q2", "A2")));

    [Fact]
    public void MistralUsesInstTags() =>
        Assert.Equal("<s>[INST] Sys\n\nQ1[/INST] A1</s>[INST] Q2[/INST] A2</s>",
            ChatTemplates.Get("mistral", CharTokenizer.Llama2()).RenderText(Chat("Sys", "Q1", "A1", "Q2", "A2")));

    [Fact]
    public void AlpacaAndDefaultFollowLlamaFactory()
    {
        Assert.Equal("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nQ\n\n### Response:\nA</s>\n\n",
            ChatTemplates.Get("alpaca", CharTokenizer.Llama2()).RenderText(Chat(null, "Q", "A")));
        Assert.Equal("System: S</s>\nHuman: Q</s>\nAssistant:A</s>\n",
            ChatTemplates.Get("default", CharTokenizer.Llama2()).RenderText(Chat("S", "Q", "A")));
    }

    [Fact]
    public void UnknownNameListsKnownTemplates()
    {
        var e = Assert.Throws<UnknownTemplateException>(() => ChatTemplates.Get("qwen4", null));
        Assert.Contains("'qwen4'", e.Message);
        foreach (var name in new[] { "model", "default", "alpaca", "qwen", "qwen3", "qwen3_nothink", "llama3", "llama2", "mistral" })
        {
            Assert.Contains(name, ChatTemplates.Names);
            Assert.Contains(name, e.Message);
        }
    }

    [Fact]
    public void BadTurnOrderIsRejectedWithTheMessageIndex()
    {
        var conv = new Conversation(new List<ChatMessage> { new("user", "a"), new("user", "b") });
        var e = Assert.Throws<ConversationFormatException>(() => ChatTemplates.Get("qwen", null).Encode(conv, CharTokenizer.Qwen()));
        Assert.Contains("message 1", e.Message);
        var bad = new Conversation(new List<ChatMessage> { new("narrator", "x"), new("assistant", "y") });
        Assert.Contains("unknown role 'narrator'", Assert.Throws<ConversationFormatException>(() => ChatTemplates.Get("qwen", null).RenderText(bad)).Message);
    }
}
