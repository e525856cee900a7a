using Athanor.Evaluation;
using Athanor.Tests.Models;
using Athanor.Tokenization;
using static TorchSharp.torch;

namespace Athanor.Tests.Evaluation;

[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class PerplexityTests
{
    [Fact]
    public void SlidingWindowScoresEachTokenOnceWithItsWindowsContext()
    {
        using var model = Golden.LoadModel("llama");
        var ids = Enumerable.Range(0, 20).Select(i => (i * 37 + 11) % 300).ToArray();
        var (sum, tokens) = PerplexityTask.Score(model, ids, context: 8);
        Assert.Equal(19, tokens);

        // Windows of 8 advancing by 4: tokens 1-7 see from 0, 8-11 from 4, 12-15 from 8, 16-19 from 12.
        double expected = 0;
        for (int j = 1; j < ids.Length; j++)
        {
            int start = j < 8 ? 0 : 4 * ((j - 8) / 4) + 4;
            expected += TokenLogProb(model, ids[start..(j + 1)]);
        }
        Assert.Equal(expected, sum, 4);

        var (whole, _) = PerplexityTask.Score(model, ids, context: 64);
        double unwindowed = Enumerable.Range(1, ids.Length - 1).Sum(j => TokenLogProb(model, ids[..(j + 1)]));
        Assert.Equal(unwindowed, whole, 4);
        Assert.NotEqual(whole, sum, 3); // the window really cut the context
    }

    [Fact]
    public void PerplexityIsExpOfMeanNllOverAllTexts()
    {
        using var temp = new TestPaths.TempFolder();
        var path = temp.Sub("texts.jsonl");
        File.WriteAllLines(path, ["{\"text\": \"hello there\"}", "", "{\"text\": \"general kenobi\", \"source\": \"x\"}"]);
        using var model = Golden.LoadModel("llama");
        var tokenizer = new ByteTokenizer();
        var result = PerplexityTask.Run(model, tokenizer, path);
        var a = PerplexityTask.Score(model, PerplexityTask.Ids(tokenizer, "hello there"), 256);
        var b = PerplexityTask.Score(model, PerplexityTask.Ids(tokenizer, "general kenobi"), 256);
        Assert.Equal(2, result.Texts);
        Assert.Equal(a.Tokens + b.Tokens, result.Tokens);
        Assert.Equal(11 + 14, result.Tokens); // bos predicts the first byte
        Assert.Equal(-(a.LogLikelihood + b.LogLikelihood) / result.Tokens, result.MeanNll, 9);
        Assert.Equal(Math.Exp(result.MeanNll), result.Perplexity, 9);
    }

    [Fact]
    public void LineWithoutTextNamesFileAndLine()
    {
        using var temp = new TestPaths.TempFolder();
        var path = temp.Sub("texts.jsonl");
        File.WriteAllLines(path, ["{\"text\": \"ok\"}", "{\"content\": \"no\"}"]);
        using var model = Golden.LoadModel("llama");
        var ex = Assert.Throws<EvalInputException>(() => PerplexityTask.Run(model, new ByteTokenizer(), path));
        Assert.Equal($"{path}:2: \"text\" is missing; each line is {{\"text\": ...}}", ex.Message);
    }

    private static double TokenLogProb(Athanor.Models.CausalLM model, int[] ids)
    {
        using var _ = no_grad();
        using var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var logits = model.forward(input);
        using var logp = logits[0, ids.Length - 2].log_softmax(-1);
        return logp[ids[^1]].item<float>();
    }
}
