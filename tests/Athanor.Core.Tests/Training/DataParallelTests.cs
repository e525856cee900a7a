using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>World size and ZeRO stage change only how a step is computed, not what it computes.</summary>
public class DataParallelTests
{
    private const int GlobalBatch = 12;

    private static TrainerSettings SettingsFor(string dir, int world, int stage) => TinySetup.Settings(dir) with
    {
        OffloadOptimizer = Offloading.Value,
        WorldSize = world, ZeroStage = stage, MicroBatchSize = 2, GradientAccumulation = GlobalBatch / (2 * world),
        MaxSteps = 8, SaveSteps = 4, LoggingSteps = 1, EvalSteps = 4,
    };

    /// <summary>Trains with one thread per rank over a loopback TCP ring; returns rank 0's metric rows.</summary>
    private static List<JsonObject> Train(string dir, int world, int stage, string? resume = null, int stopAfter = 0, LoraSettings? lora = null,
        bool onMeta = false, long? buckets = null, bool checkpointing = false, int recomputeEvery = 1, bool prefetch = true)
    {
        var data = TinySetup.Data(trainCount: 30, validationCount: 7);
        var group = new LocalGroup(world);
        using var cancel = new CancellationTokenSource();
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Factory.StartNew(() =>
        {
            using var collective = group.Join(rank);
            // different on purpose: rank 0's weights are broadcast (on the meta device: nothing to broadcast, the source gives them)
            using var model = onMeta ? ModelConstruction.BuildOnMeta(ModelConfig.Parse(TinySetup.ConfigJson, "tiny")) : TinySetup.Model(seed: 100 + rank);
            // The frozen base is the same on every rank (as when loaded from one folder); adapters start per rank.
            if (lora is not null && onMeta) LoraModel.Apply(model, lora, seed: 40); // the base comes from the source
            else if (lora is not null)
            {
                using var reference = TinySetup.Model(seed: 100);
                using (TorchSharp.torch.no_grad())
                    foreach (var ((_, p), (_, q)) in model.named_parameters().Zip(reference.named_parameters())) p.copy_(q);
                LoraModel.Apply(model, lora, seed: 40 + rank);
            }
            if (checkpointing) ActivationCheckpointing.Apply(model, every: 1);
            var observer = rank == 0 && stopAfter > 0 ? new StopAfter(stopAfter, cancel) : null;
            var deferred = onMeta ? new DeferredWeights(new RandomInitSource(seed: 9, initializerRange: 0.02), TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32) : null;
            var settings = SettingsFor(dir, world, stage) with
            {
                ResumeFrom = resume, Zero3RecomputeEvery = recomputeEvery,
                Switches = ComputeSwitches.Default with { GradientBucketElements = buckets, Zero3Prefetch = prefetch },
            };
            new Trainer(model, lora, data, settings, observer, collective) { Deferred = deferred }.Run(cancel.Token);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(2)), "data-parallel run hung");
        return File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    private static void AssertSameCurve(List<JsonObject> expected, List<JsonObject> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            foreach (var key in new[] { "loss", "eval_loss" })
                if (expected[i][key] is JsonNode e)
                {
                    double a = actual[i][key]!.GetValue<double>(), b = e.GetValue<double>();
                    Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Abs(b), $"{what}: row {i} {key} {a:R} vs {b:R}");
                }
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(2, 2)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    public void LossCurveMatchesOneRank(int world, int stage)
    {
        using var temp = new TestPaths.TempFolder();
        var single = Train(temp.Sub("w1"), 1, 0);
        var parallel = Train(temp.Sub($"w{world}z{stage}"), world, stage);
        AssertSameCurve(single, parallel, $"world {world} zero {stage}");
    }

    [Fact]
    public void ACheckpointFromOneWorldSizeAndStageResumesAtAnother()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Train(temp.Sub("straight"), 1, 0);

        var dir = temp.Sub("elastic");
        Train(dir, 2, 2, stopAfter: 5);            // stops after step 5 with a checkpoint at 5 (and 4)
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true); // as if killed: resume from 4
        var resumed = Train(dir, 3, 1, resume: "auto");
        AssertSameCurve(straight, resumed, "saved at world 2 / ZeRO-2, resumed at world 3 / ZeRO-1");
    }

    [Fact]
    public void LoraUnderZeroThreeMatchesOneRankAndSavesWholeAdapters()
    {
        using var temp = new TestPaths.TempFolder();
        var lora = new LoraSettings(4, 8, 0, LoraSettings.AllLinear);
        var single = Train(temp.Sub("w1"), 1, 0, lora: lora);
        var sharded = Train(temp.Sub("w2z3"), 2, 3, lora: lora);
        AssertSameCurve(single, sharded, "LoRA, world 2 / ZeRO-3");

        using var expected = SafetensorsFile.Open(Path.Combine(temp.Sub("w1"), "checkpoint-8", PeftAdapter.WeightsFile));
        using var actual = SafetensorsFile.Open(Path.Combine(temp.Sub("w2z3"), "checkpoint-8", PeftAdapter.WeightsFile));
        Assert.Equal(expected.Tensors.Keys.OrderBy(n => n), actual.Tensors.Keys.OrderBy(n => n));
        foreach (var name in expected.Tensors.Keys)
        {
            using var e = expected.Load(name);
            using var a = actual.Load(name);
            Assert.True(a.numel() > 0 && a.shape.SequenceEqual(e.shape), $"{name}: saved with shape [{string.Join(", ", a.shape)}]");
            Assert.True(a.allclose(e, rtol: 1e-4, atol: 1e-6), $"{name} differs from the one-rank run");
        }
    }

    [Fact]
    public void AModelBuiltOnTheMetaDeviceTrainsAndResumesFromItsShardedCheckpoint()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Train(temp.Sub("straight"), 2, 3, onMeta: true);
        Assert.True(straight.First(r => r["loss"] is not null)["loss"]!.GetValue<double>() > straight.Last(r => r["loss"] is not null)["loss"]!.GetValue<double>());
        var dir = temp.Sub("resumed");
        Train(dir, 2, 3, stopAfter: 5, onMeta: true);
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true);
        // Resumed from checkpoint-4: the weights come from its safetensors, one layer at a time, at world 3.
        AssertSameCurve(straight, Train(dir, 3, 3, resume: "auto", onMeta: true), "meta-built ZeRO-3, saved at world 2, resumed at world 3");
    }

    [Fact]
    public void LoraOverAMetaBuiltBaseTrainsTheSameAtOneAndTwoRanksAndResumes()
    {
        // #11's 65B LoRA at tiny scale: the frozen base is drawn into each rank's shards, the adapters stay whole.
        using var temp = new TestPaths.TempFolder();
        var lora = new LoraSettings(4, 8, 0, LoraSettings.AllLinear);
        var single = Train(temp.Sub("w1"), 1, 3, lora: lora, onMeta: true);
        Assert.True(single.First(r => r["loss"] is not null)["loss"]!.GetValue<double>() > single.Last(r => r["loss"] is not null)["loss"]!.GetValue<double>());
        AssertSameCurve(single, Train(temp.Sub("w2"), 2, 3, lora: lora, onMeta: true), "LoRA over a meta-built base at world 2");
        var dir = temp.Sub("resumed");
        Train(dir, 2, 3, stopAfter: 5, lora: lora, onMeta: true);
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true);
        AssertSameCurve(single, Train(dir, 2, 3, resume: "auto", lora: lora, onMeta: true), "LoRA over a meta-built base, resumed");
    }

    [Theory]
    [InlineData(2, 0, false)]
    [InlineData(2, 1, true)]
    [InlineData(2, 2, false)]
    [InlineData(3, 2, true)]
    public void ReducingGradientBucketsDuringBackwardLeavesTheCurveAsItIs(int world, int stage, bool checkpointing)
    {
        // 997-element buckets: about 23 on the tiny model, most crossing parameter (and at stage 2 never shard) boundaries.
        using var temp = new TestPaths.TempFolder();
        var single = Train(temp.Sub("w1"), 1, 0);
        AssertSameCurve(single, Train(temp.Sub("bucketed"), world, stage, buckets: 997, checkpointing: checkpointing),
            $"world {world} / ZeRO-{stage} with gradient buckets{(checkpointing ? " and activation checkpointing" : "")}");
        var lora = new LoraSettings(4, 8, 0, LoraSettings.AllLinear);
        if (stage == 2)
            AssertSameCurve(Train(temp.Sub("w1-lora"), 1, 0, lora: lora), Train(temp.Sub("lora-bucketed"), world, stage, lora: lora, buckets: 997,
                checkpointing: checkpointing), $"LoRA at world {world} / ZeRO-2 with gradient buckets");
    }

    [Theory]
    [InlineData(2, 0, false)]
    [InlineData(3, 0, true)]
    [InlineData(2, 2, false)]
    [InlineData(2, 2, true)]
    public void ZeroThreeKeepingActivationsMatchesOneRank(int world, int recomputeEvery, bool withLora)
    {
        // Without checkpointing, ZeRO-3 layers keep their activations and are gathered again for backward (recomputeEvery 0:
        // every layer; 2: layer 0 recomputes, layer 1 keeps); the weights' gradients come from ShardedLinear, the norms' and
        // adapters' from autograd on parameters that stay materialized. Full fine-tune and LoRA must match one rank.
        using var temp = new TestPaths.TempFolder();
        var lora = withLora ? new LoraSettings(4, 8, 0, LoraSettings.AllLinear) : null;
        var single = Train(temp.Sub("w1"), 1, 0, lora: lora);
        AssertSameCurve(single, Train(temp.Sub("kept"), world, 3, lora: lora, recomputeEvery: recomputeEvery),
            $"world {world} / ZeRO-3 recomputing every {recomputeEvery} layers{(withLora ? ", LoRA" : "")}");
    }

    [Fact]
    public void AMetaBuiltZeroThreeRunThatKeepsActivationsResumesAtAnotherWorldSize()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Train(temp.Sub("straight"), 2, 3, onMeta: true);
        var dir = temp.Sub("resumed");
        Train(dir, 2, 3, stopAfter: 5, onMeta: true, recomputeEvery: 0);
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true);
        AssertSameCurve(straight, Train(dir, 3, 3, resume: "auto", onMeta: true, recomputeEvery: 0),
            "meta-built ZeRO-3 keeping activations, saved at world 2, resumed at world 3");
    }

    [Fact]
    public void PrefetchingTheNextLayerLeavesTheCurveAsItIs()
    {
        // The next layer's gather is started before this layer computes (forward) or before it is recomputed
        // (backward); on CPU ranks it simply happens earlier, so the collectives' order changes and the curve must not.
        using var temp = new TestPaths.TempFolder();
        var prefetched = Train(temp.Sub("on"), 2, 3);
        AssertSameCurve(prefetched, Train(temp.Sub("off"), 2, 3, prefetch: false), "world 2 / ZeRO-3 without prefetching (zero3_prefetch: false)");
        var lora = new LoraSettings(4, 8, 0, LoraSettings.AllLinear);
        AssertSameCurve(Train(temp.Sub("w1-lora"), 1, 0, lora: lora), Train(temp.Sub("w3-lora"), 3, 3, lora: lora), "LoRA at world 3 / ZeRO-3, prefetching");
    }

    /// <summary>A source that fails as libtorch does when the GPU is full.</summary>
    private sealed class FullDeviceSource : IParameterSource
    {
        public void Fill(string name, TorchSharp.torch.Tensor target) =>
            throw new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 774.00 MiB. GPU 1 has a total capacity of 139.80 GiB");
    }

    [Fact]
    public void RunningOutOfDeviceMemoryWhileShardingIsTheOutOfMemoryVerdictNotARetryableError()
    {
        // The cluster retries ordinary failures but not DeviceOutOfMemoryException (the same GPUs would fail again).
        using var temp = new TestPaths.TempFolder();
        using var model = ModelConstruction.BuildOnMeta(ModelConfig.Parse(TinySetup.ConfigJson, "tiny"));
        var trainer = new Trainer(model, null, TinySetup.Data(trainCount: 30, validationCount: 7), SettingsFor(temp.Path, 1, 3))
        {
            Deferred = new DeferredWeights(new FullDeviceSource(), TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32),
        };
        var ex = Assert.Throws<DeviceOutOfMemoryException>(() => trainer.Run());
        Assert.Contains("while sharding the model over 1 rank(s) with ZeRO-3", ex.Message);
        Assert.Contains("Tried to allocate 774.00 MiB", ex.InnerException!.Message);
    }

    /// <summary>The optimizer-offload switch of the next Train call (the tests of a class run one at a time).</summary>
    private static readonly AsyncLocal<bool> Offloading = new();

    [Fact]
    public void OffloadingTheOptimizerStateLeavesTheCurveAsItIs()
    {
        using var temp = new TestPaths.TempFolder();
        var single = Train(temp.Sub("w1"), 1, 0);
        Offloading.Value = true;
        try { AssertSameCurve(single, Train(temp.Sub("w2z3-offload"), 2, 3), "world 2 / ZeRO-3 with the optimizer state in host memory"); }
        finally { Offloading.Value = false; }
    }

    [Fact]
    public void ZeroThreeCheckpointsResumeAtOtherStagesAndBack()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Train(temp.Sub("straight"), 1, 0);

        var fromThree = temp.Sub("from-zero3");
        Train(fromThree, 3, 3, stopAfter: 5);
        Directory.Delete(Path.Combine(fromThree, "checkpoint-5"), recursive: true);
        AssertSameCurve(straight, Train(fromThree, 2, 2, resume: "auto"), "saved at world 3 / ZeRO-3, resumed at world 2 / ZeRO-2");

        var toThree = temp.Sub("to-zero3");
        Train(toThree, 2, 1, stopAfter: 5);
        Directory.Delete(Path.Combine(toThree, "checkpoint-5"), recursive: true);
        AssertSameCurve(straight, Train(toThree, 2, 3, resume: "auto"), "saved at world 2 / ZeRO-1, resumed at world 2 / ZeRO-3");
    }
}
