using Athanor.Evaluation;
using Athanor.Tests.Models;
using static TorchSharp.torch;

namespace Athanor.Tests.Evaluation;

/// <summary>
/// The choice score (sum of log-softmax over continuation tokens) from transformers' logits (golden.safetensors)
/// against the same score computed by running our model.
/// </summary>
[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class ChoiceLogLikelihoodGoldenTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void ScoresFromOurModelEqualScoresFromTransformersLogits(string family)
    {
        using var model = Golden.LoadModel(family);
        var (ids, logits) = Golden.Read(TestPaths.Model(family));
        using (ids)
        using (logits)
        {
            for (int row = 0; row < ids.shape[0]; row++)
            {
                var tokens = ids[row].data<long>().Select(v => (int)v).ToArray();
                foreach (int k in new[] { 3, 11, 18 })
                {
                    var context = tokens[..k];
                    // Single tokens (any token: position k-1's logits see only the context) and the true 4-token continuation.
                    IReadOnlyList<int>[] singles = [[5], [17], [tokens[k]], [299]];
                    IReadOnlyList<int>[] mixed = [[tokens[k]], tokens[k..(k + 4)], [42]];
                    foreach (var continuations in new[] { singles, mixed })
                    {
                        var ours = LogLikelihood.Choices(model, context, continuations);
                        for (int c = 0; c < continuations.Length; c++)
                        {
                            double reference = LogLikelihood.Continuation(logits[row], [.. context, .. continuations[c]], k);
                            Assert.True(Math.Abs(ours[c] - reference) < 1e-4,
                                $"{family} row {row} k {k} choice {c}: ours {ours[c]:F6}, from transformers' logits {reference:F6}");
                            Assert.True(reference < 0);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ContinuationIsTheSumOfLogSoftmaxAtEachPredictedPosition()
    {
        // 3 positions over a 4-token vocabulary, computed by hand.
        float[] raw = [0, 1, 2, 3, /**/ 1, 1, 1, 1, /**/ 3, 0, 0, 0];
        using var logits = tensor(raw).view(3, 4);
        double Log(float[] row, int i) => row[i] - Math.Log(row.Sum(v => Math.Exp(v)));
        double expected = Log([0, 1, 2, 3], 2) + Log([1, 1, 1, 1], 0);
        Assert.Equal(expected, LogLikelihood.Continuation(logits, [9, 2, 0], 1), 6);
        Assert.Equal(0, LogLikelihood.Continuation(logits, [9, 2, 0], 3));
    }
}
