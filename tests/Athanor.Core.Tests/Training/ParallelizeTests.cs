using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Tests.Parallel;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>The parallelize step before the loop: the optimizer by stage, what it installs on the model, and that disposing takes it all off.</summary>
public class ParallelizeTests
{
    [Theory]
    [InlineData(0, null, nameof(ZeroAdamW), 0)]
    [InlineData(2, null, nameof(ZeroAdamW), 0)]
    [InlineData(2, 600L, nameof(ZeroAdamW), 1)] // the layer hook that starts gradient buckets during backward
    [InlineData(3, null, nameof(Zero3AdamW), 1)] // ZeRO-3's gather-run-release wrapper
    public void The_plan_chooses_the_optimizer_and_disposing_takes_its_wrappers_off_the_model(int stage, long? bucketElements, string optimizer, int wrappers)
    {
        var seen = new (string Optimizer, int Wrappers, bool Sharded, int After)[2];
        LoopbackRanks.Run(2, (rank, group) =>
        {
            using var model = TinySetup.Model(seed: 5);
            var plan = new ParallelPlan { ZeroStage = stage, WeightDecay = 0.01, Switches = ComputeSwitches.Default with { GradientBucketElements = bucketElements } };
            var parallel = Parallelize.Apply(model, plan, group);
            var state = (parallel.Optimizer.GetType().Name, model.Model.LayerWrappers.Count, parallel.Sharding is not null, -1);
            parallel.Dispose();
            seen[rank] = state with { Item4 = model.Model.LayerWrappers.Count };
        });
        foreach (var s in seen)
        {
            Assert.Equal(optimizer, s.Optimizer);
            Assert.Equal(wrappers, s.Wrappers);
            Assert.Equal(stage == 3, s.Sharded);
            Assert.Equal(0, s.After);
        }
    }

    [Fact]
    public void The_plan_is_read_from_the_trainer_settings_in_one_place()
    {
        var settings = new TrainerSettings
        {
            OutputDir = "unused", ZeroStage = 3, WeightDecay = 0.1, AdamBeta1 = 0.8, AdamBeta2 = 0.95, AdamEpsilon = 1e-6,
            Switches = ComputeSwitches.Default with { GradientBucketElements = 1234, Zero3Prefetch = false }, Zero3RecomputeEvery = 2, OffloadOptimizer = true,
        };
        var expected = new ParallelPlan
        {
            ZeroStage = 3, WeightDecay = 0.1, AdamBeta1 = 0.8, AdamBeta2 = 0.95, AdamEpsilon = 1e-6,
            Switches = ComputeSwitches.Default with { GradientBucketElements = 1234, Zero3Prefetch = false }, Zero3RecomputeEvery = 2, OffloadOptimizer = true,
        };
        Assert.Equal(expected, ParallelPlan.From(settings));
    }
}
