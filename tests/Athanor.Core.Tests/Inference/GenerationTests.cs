using Athanor.Inference;
using Athanor.Templates;
using Athanor.Tests.Models;
using Athanor.Tokenization;

namespace Athanor.Tests.Inference;

[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class GenerationTests
{
    private static readonly IReadOnlyList<int>[] Prompts = [[250, 82, 23], [280, 139, 134, 41, 62, 135, 296, 64, 9, 17], [5], [77, 78, 79, 80, 81]];

    [Fact]
    public void BatchedLeftPaddedGreedyEqualsOnePromptAtATime()
    {
        using var model = Golden.LoadModel("mistral");
        var options = new GenerationOptions { MaxNewTokens = 12, BatchSize = 4 };
        var batched = Decoding.Generate(model, Prompts, options).Completions;
        for (int i = 0; i < Prompts.Length; i++)
        {
            var alone = Decoding.Generate(model, [Prompts[i]], options).Completions[0];
            Assert.Equal(alone.TokenIds, batched[i].TokenIds);
            Assert.Equal(Prompts[i], batched[i].PromptIds);
        }
    }

    [Fact]
    public void StopTokenEndsARowWithoutBeingReturned()
    {
        using var model = Golden.LoadModel("llama");
        var free = Decoding.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 10 }).Completions;
        int stop = free[1].TokenIds[3];
        var stopped = Decoding.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 10, StopTokenIds = new HashSet<int> { stop } }).Completions;
        Assert.Equal(free[1].TokenIds[..3], stopped[1].TokenIds);
        Assert.Equal(FinishReason.Stop, stopped[1].FinishReason);
        for (int i = 0; i < Prompts.Length; i++)
        {
            int cut = Array.IndexOf(free[i].TokenIds, stop);
            Assert.Equal(cut < 0 ? free[i].TokenIds : free[i].TokenIds[..cut], stopped[i].TokenIds);
        }
    }

    [Fact]
    public void SamplingIsReproducibleBySeedAndNarrowsToGreedy()
    {
        using var model = Golden.LoadModel("qwen3");
        var sample = new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5, TopP = 0.95, TopK = 50, Seed = 7 };
        var a = Decoding.Generate(model, Prompts, sample).Completions;
        var b = Decoding.Generate(model, Prompts, sample).Completions;
        var c = Decoding.Generate(model, Prompts, sample with { Seed = 8 }).Completions;
        var greedy = Decoding.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 12 }).Completions;
        Assert.Equal(a.SelectMany(x => x.TokenIds), b.SelectMany(x => x.TokenIds));
        Assert.NotEqual(a.SelectMany(x => x.TokenIds), c.SelectMany(x => x.TokenIds));
        Assert.NotEqual(a.SelectMany(x => x.TokenIds), greedy.SelectMany(x => x.TokenIds));
        foreach (var narrow in new[] { sample with { TopK = 1 }, sample with { TopK = 0, TopP = 1e-6 } })
            Assert.Equal(greedy.SelectMany(x => x.TokenIds), Decoding.Generate(model, Prompts, narrow).Completions.SelectMany(x => x.TokenIds));
    }

    [Fact]
    public void PromptLongerThanTheModelIsRefused()
    {
        using var model = Golden.LoadModel("llama");
        var tooLong = Enumerable.Repeat(3, 256).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => Decoding.Generate(model, [Prompts[0], tooLong], new GenerationOptions()));
        Assert.Equal("prompt 2 is 256 tokens but the model's max_position_embeddings is 256; shorten it to leave room for new tokens", ex.Message);
    }

    [Theory]
    [InlineData(0, 0, 1, 1, "max new tokens 0: accepted: an integer >= 1")]
    [InlineData(4, -1, 1, 1, "temperature -1: accepted: 0 (greedy) or a positive number")]
    [InlineData(4, 1, 0, 1, "top-p 0: accepted: a number in (0, 1]")]
    [InlineData(4, 1, 1, 0, "batch size 0: accepted: an integer >= 1")]
    public void BadOptionsAreNamed(int maxNew, double temperature, double topP, int batch, string expected)
    {
        var options = new GenerationOptions { MaxNewTokens = maxNew, Temperature = temperature, TopP = topP, BatchSize = batch };
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => options.Validated()).Message);
    }

    [Fact]
    public void TemplatePromptIsAUserTurnWithTheGenerationPrompt()
    {
        var tokenizer = new ByteTokenizer();
        int[] Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s).Select(b => (int)b).ToArray();

        // LLaMA-Factory's default template: "Human: {content}" eos "\nAssistant:".
        var named = PromptEncoder.Encode("hi", tokenizer, ChatTemplates.Get("default", tokenizer));
        Assert.Equal([.. Bytes("Human: hi"), ByteTokenizer.EosId, .. Bytes("\nAssistant:")], named);

        // The tokenizer's own chat_template with add_generation_prompt.
        var own = PromptEncoder.Encode("hi", tokenizer, ChatTemplates.Get("model", tokenizer));
        Assert.Equal([ByteTokenizer.UserId, .. Bytes("hi"), ByteTokenizer.EosId, ByteTokenizer.AssistantId], own);

        // No template: bos, then the text.
        Assert.Equal([ByteTokenizer.BosId, .. Bytes("hi")], PromptEncoder.Encode("hi", tokenizer));
    }

    [Fact]
    public void StopTokensJoinConfigGenerationConfigTokenizerAndTemplate()
    {
        using var model = Golden.LoadModel("llama");
        var tokenizer = new ByteTokenizer();
        var ids = StopTokens.Collect(model.Config, new GenerationConfigFile(null, [7, 9], null), tokenizer, ChatTemplates.Get("default", tokenizer));
        Assert.Equal([2, 7, 9, ByteTokenizer.EosId], ids.Order());
    }
}
