using Athanor.Parallel;
using Athanor.Tests.Training;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Parallel;

/// <summary>Gradient buckets: how the flat vector is cut, and that they start while backward still runs.</summary>
public class GradientBucketTests
{
    private static FlatLayout Layout(long seed = 7)
    {
        var model = TinySetup.Model(seed);
        return new FlatLayout(model.named_parameters(), (_, p) => p.dim() >= 2);
    }

    [Theory]
    [InlineData(0, 2, 1000)]
    [InlineData(1, 3, 4096)]
    [InlineData(2, 2, 1000)]
    [InlineData(2, 3, 997)]
    [InlineData(2, 4, 1L << 30)]
    public void BucketsCoverThePaddedVectorOnceAndAtStageTwoStayInsideOneShard(int stage, int world, long max)
    {
        var layout = Layout();
        var buckets = GradientBuckets.Plan(layout, world, stage, max);
        long at = 0;
        foreach (var b in buckets)
        {
            Assert.Equal(at, b.From);
            Assert.InRange(b.Length, 1, max);
            at += b.Length;
            if (stage == 2)
            {
                var (start, count) = layout.Shard(b.Owner, world);
                Assert.True(b.From >= start && b.From + b.Length <= start + count, $"bucket [{b.From}, {b.From + b.Length}) leaves rank {b.Owner}'s shard");
            }
            else Assert.Equal(-1, b.Owner);
        }
        Assert.Equal(layout.PaddedLength(world), at);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void FinishedLayersStartTheirBucketsDuringBackwardAndTheSumIsTheSame(int stage)
    {
        var norms = new double[2, 2];
        var startedEarly = new int[2];
        int bucketCount = 0;
        LoopbackRanks.Run(2, (rank, group) =>
        {
            for (int variant = 0; variant < 2; variant++) // 0: all at once after backward, 1: buckets during backward
            {
                using var model = TinySetup.Model(seed: 11);
                ActivationCheckpointing.Apply(model, every: 1);
                model.train();
                var layout = new FlatLayout(model.named_parameters(), (_, p) => p.dim() >= 2);
                using var optimizer = new ZeroAdamW(layout, group, stage, weightDecay: 0, bucketElements: variant == 1 ? 600 : null);
                using var hook = variant == 1 ? LayerGradientHook.Install(model, optimizer.LayerGradientsFinal) : null;
                var generator = new TorchSharp.torch.Generator(100 + (ulong)rank);
                using var ids = randint(1, 64, [2, 12], generator: generator);
                optimizer.ArmForLastMicroBatch();
                using (var loss = CausalLmLoss.Sum(model, ids, ids)) loss.backward();
                model.Gradients.Release();
                model.Gradients.ThrowIfFailed();
                if (variant == 1)
                {
                    startedEarly[rank] = optimizer.BucketsStartedInBackward;
                    bucketCount = optimizer.Buckets.Count;
                }
                using var norm = optimizer.SyncAndClipGradientsDeferred(maxNorm: 0);
                norms[rank, variant] = norm.item<double>();
            }
        });
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Equal(norms[rank, 0], norms[rank, 1], 1e-9 * norms[rank, 0]);
            // The two decoder layers' buckets went during backward; the embedding's and the head's could not.
            Assert.InRange(startedEarly[rank], 1, bucketCount - 1);
        }
        Assert.Equal(norms[0, 1], norms[1, 1], 1e-9 * norms[0, 1]);
    }
}
