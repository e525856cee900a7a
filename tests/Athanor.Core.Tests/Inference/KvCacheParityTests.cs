using Athanor.Models;
using Athanor.Tests.Models;
using static TorchSharp.torch;

namespace Athanor.Tests.Inference;

/// <summary>Logits from cached decoding (prefill, then one token at a time) against recomputing the whole sequence.</summary>
[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class KvCacheParityTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void CachedLogitsEqualFullRecompute(string family)
    {
        using var model = Golden.LoadModel(family);
        var (ids, _) = Golden.Read(TestPaths.Model(family));
        using (ids)
        using (no_grad())
        {
            long rows = ids.shape[0], length = ids.shape[1];
            using var full = model.forward(ids);
            using var cache = new KvCache(model.Config, (int)rows, capacity: 4); // small: exercises growth
            const int prefill = 5;
            using (var hidden = model.Hidden(ids.narrow(1, 0, prefill), cache))
            using (var logits = model.Logits(hidden))
                AssertClose(full.narrow(1, 0, prefill), logits, family);
            for (long t = prefill; t < length; t++)
            {
                using var hidden = model.Hidden(ids.narrow(1, t, 1), cache);
                using var logits = model.Logits(hidden);
                AssertClose(full.narrow(1, t, 1), logits, $"{family} position {t}");
            }
            Assert.Equal(length, cache.Length);
        }
    }

    [Fact]
    public void LeftPaddedRowsGiveTheLogitsTheyGiveAlone()
    {
        // Row 0 is the full sequence; row 1 is a shorter prompt left-padded to the same length. Both cached.
        using var model = Golden.LoadModel("mistral"); // the window and padding must combine correctly
        var (ids, _) = Golden.Read(TestPaths.Model("mistral"));
        using (ids)
        using (no_grad())
        {
            const int promptLength = 12, shortLength = 7, steps = 6;
            var longRow = ids[0].narrow(0, 0, promptLength + steps);
            var shortRow = ids[1].narrow(0, 0, shortLength + steps);
            using var aloneLong = model.forward(longRow.unsqueeze(0));
            using var aloneShort = model.forward(shortRow.unsqueeze(0));

            int pad = promptLength - shortLength;
            var prompt = stack([longRow.narrow(0, 0, promptLength), cat([zeros(pad, dtype: ScalarType.Int64), shortRow.narrow(0, 0, shortLength)])]);
            var mask = stack([ones(promptLength, dtype: ScalarType.Int64), cat([zeros(pad, dtype: ScalarType.Int64), ones(shortLength, dtype: ScalarType.Int64)])]);
            using var cache = new KvCache(model.Config, 2);
            using (var hidden = model.Hidden(prompt, cache, mask))
            using (var logits = model.Logits(hidden))
            {
                AssertClose(aloneLong.narrow(1, 0, promptLength), logits.narrow(0, 0, 1), "long row prefill");
                AssertClose(aloneShort.narrow(1, 0, shortLength), logits.narrow(0, 1, 1).narrow(1, pad, shortLength), "short row prefill");
            }
            for (int s = 0; s < steps; s++)
            {
                var next = stack([longRow.narrow(0, promptLength + s, 1), shortRow.narrow(0, shortLength + s, 1)]);
                using var hidden = model.Hidden(next, cache);
                using var logits = model.Logits(hidden);
                AssertClose(aloneLong.narrow(1, promptLength + s, 1), logits.narrow(0, 0, 1), $"long row step {s}");
                AssertClose(aloneShort.narrow(1, shortLength + s, 1), logits.narrow(0, 1, 1), $"short row step {s}");
            }
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = (expected - actual).abs().max();
        double error = diff.item<float>();
        Assert.True(error < 1e-5, $"{what}: max |cached - full| = {error:E2} exceeds 1e-5");
    }
}
