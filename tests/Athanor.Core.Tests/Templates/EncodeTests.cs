using Athanor.Data;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Tests.Templates;

public class EncodeTests
{
    private static Conversation Chat(string? system, params string[] turns) =>
        new(turns.Select((t, i) => new ChatMessage(i % 2 == 0 ? "user" : "assistant", t)).ToList(), system);

    /// <summary>The text of each maximal run of trained tokens.</summary>
    private static List<string> TrainedRuns(TokenizedSample s, ITokenizer tok)
    {
        var runs = new List<string>();
        var current = new List<int>();
        for (int i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && s.Labels[i] != TokenizedSample.IgnoreIndex)
            {
                Assert.Equal(s.InputIds[i], s.Labels[i]);
                current.Add(s.InputIds[i]);
            }
            else if (current.Count > 0)
            {
                runs.Add(tok.Decode(current));
                current.Clear();
            }
        }
        return runs;
    }

    [Fact]
    public void QwenTrainsEveryAssistantReplyWithItsImEnd()
    {
        var tok = CharTokenizer.Qwen();
        var template = ChatTemplates.Get("qwen", tok);
        var conv = Chat(null, "Q1", "A1", "Q2", "A2");
        var sample = template.Encode(conv, tok);
        Assert.Equal(template.RenderText(conv), tok.Decode(sample.InputIds));
        Assert.Equal(new[] { "A1<|im_end|>\n", "A2<|im_end|>\n" }, TrainedRuns(sample, tok));
        Assert.Contains(tok.TokenToId("<|im_end|>")!.Value, sample.Labels);
    }

    [Fact]
    public void TrainOnPromptTrainsEverything()
    {
        var tok = CharTokenizer.Qwen();
        var sample = ChatTemplates.Get("qwen", tok).Encode(Chat("S", "Q", "A"), tok, trainOnPrompt: true);
        Assert.Equal(sample.Length, sample.TargetCount);
    }

    [Fact]
    public void Llama3EndsTurnsWithEotIdAndBosIsAToken()
    {
        var tok = CharTokenizer.Llama3();
        var sample = ChatTemplates.Get("llama3", tok).Encode(Chat("S", "Q", "A"), tok);
        Assert.Equal(tok.BosTokenId, sample.InputIds[0]);
        Assert.Equal(new[] { "A<|eot_id|>" }, TrainedRuns(sample, tok));
        Assert.Equal(tok.TokenToId("<|eot_id|>"), sample.InputIds[^1]);
    }

    [Fact]
    public void Qwen3TrainsTheEmptyThinkBlockOfEachReply()
    {
        var tok = CharTokenizer.Qwen();
        var sample = ChatTemplates.Get("qwen3", tok).Encode(Chat(null, "Q1", "A1", "Q2", "<think>\nr\n</think>\n\nA2"), tok);
        Assert.Equal(new[] { "<think>\n\n</think>\n\nA1<|im_end|>\n", "<think>\nr\n</think>\n\nA2<|im_end|>\n" }, TrainedRuns(sample, tok));
    }

    [Fact]
    public void Llama2AndMistralTrainTheReplyAndEos()
    {
        var tok = CharTokenizer.Llama2();
        Assert.Equal(new[] { "A</s>" }, TrainedRuns(ChatTemplates.Get("llama2", tok).Encode(Chat(null, "Q", "A"), tok), tok));
        Assert.Equal(new[] { " A</s>" }, TrainedRuns(ChatTemplates.Get("mistral", tok).Encode(Chat(null, "Q", "A"), tok), tok));
    }

    [Fact]
    public void TrainingConversationMustEndWithAResponse()
    {
        var tok = CharTokenizer.Qwen();
        var e = Assert.Throws<ConversationFormatException>(() => ChatTemplates.Get("qwen", tok).Encode(Chat(null, "Q"), tok));
        Assert.Contains("must end with an assistant turn", e.Message);
    }

    [Fact]
    public void ModelTemplateMasksMatchTheNamedQwenTemplate()
    {
        var tok = CharTokenizer.Qwen(TemplateTestData.Read("qwen2_5.jinja"));
        var conv = Chat("S", "Q1", "A1", "Q2", "A2");
        var model = ChatTemplates.Get("model", tok).Encode(conv, tok);
        var named = ChatTemplates.Get("qwen", tok).Encode(conv, tok);
        Assert.Equal(named.InputIds, model.InputIds);
        Assert.Equal(named.Labels, model.Labels);
    }

    [Fact]
    public void ModelTemplateFindsQwen3TurnsThatChangeWhenLaterTurnsFollow()
    {
        // Qwen3 renders an empty think block only on the last assistant turn, so prefix renderings are not prefixes
        // of the full one; the probe turn still finds where each reply ends.
        var tok = CharTokenizer.Qwen(TemplateTestData.Read("qwen3.jinja"));
        var conv = Chat(null, "Q1", "A1", "Q2", "A2");
        var sample = ChatTemplates.Get("model", tok).Encode(conv, tok);
        Assert.Equal(ChatTemplates.Get("model", tok).RenderText(conv), tok.Decode(sample.InputIds));
        Assert.Equal(new[] { "A1<|im_end|>\n", "<think>\n\n</think>\n\nA2<|im_end|>\n" }, TrainedRuns(sample, tok));
    }

    [Fact]
    public void ModelTemplateMasksLlama31Replies()
    {
        var tok = CharTokenizer.Llama3(TemplateTestData.Read("llama3_1.jinja"));
        var sample = ChatTemplates.Get("model", tok).Encode(Chat("S", " Q ", " A1 ", "Q2", "A2"), tok);
        Assert.Equal(new[] { "A1<|eot_id|>", "A2<|eot_id|>" }, TrainedRuns(sample, tok));
    }

    [Fact]
    public void ModelTemplateUsesGenerationBlocksWhenPresent()
    {
        const string template = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}<e>{% endgeneration %}\n{% else %}{{ m.role }}: {{ m.content }}\n{% endif %}{% endfor %}";
        var tok = new CharTokenizer(Array.Empty<string>(), null, "<e>", template);
        var sample = ChatTemplates.Get("model", tok).Encode(Chat(null, "Q", "A"), tok);
        Assert.Equal(new[] { "A<e>" }, TrainedRuns(sample, tok));
    }

    [Fact]
    public void CompatibilityCheckRejectsLlama3TemplateOnQwenTokenizer()
    {
        var qwen = CharTokenizer.Qwen();
        TemplateCompatibility.Check(ChatTemplates.Get("qwen", qwen), qwen, "Qwen2.5-0.5B");
        var e = Assert.Throws<TemplateMismatchException>(() => TemplateCompatibility.Check(ChatTemplates.Get("llama3", qwen), qwen, "Qwen2.5-0.5B"));
        Assert.Contains("'llama3'", e.Message);
        Assert.Contains("<|begin_of_text|>", e.Message);
        Assert.Contains("Qwen2.5-0.5B", e.Message);
        var llama = CharTokenizer.Llama3();
        Assert.Throws<TemplateMismatchException>(() => TemplateCompatibility.Check(ChatTemplates.Get("qwen3", llama), llama));
        var model = ChatTemplates.Get("model", CharTokenizer.Llama3(TemplateTestData.Read("qwen3.jinja")));
        Assert.Contains("<|im_start|>", Assert.Throws<TemplateMismatchException>(() => TemplateCompatibility.Check(model, llama)).Message);
    }
}
