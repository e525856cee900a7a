using System.Diagnostics;
using Athanor.Parallel;
using Athanor.Telemetry;
using Athanor.Tests.Training;
using Athanor.Training;

namespace Athanor.Tests.Telemetry;

/// <summary>A real tiny training run, seen through the listeners an OpenTelemetry SDK would use.</summary>
public class TrainerTelemetryTests
{
    private sealed class StepLog : ITrainingObserver
    {
        public readonly List<StepMetrics> Steps = [];
        public readonly List<EvalMetrics> Evals = [];
        public void OnStep(StepMetrics m) => Steps.Add(m);
        public void OnEval(EvalMetrics m) => Evals.Add(m);
    }

    private static string NewJobId() => "telemetry-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void SampledStepsAreSpansWithPhaseChildrenAndEveryStepIsMeasured()
    {
        using var temp = new TestPaths.TempFolder();
        using var capture = new TelemetryCapture(NewJobId());
        var log = new StepLog();
        using var model = TinySetup.Model();
        const double peak = 1e9;
        var settings = TinySetup.Settings(temp.Path) with { LoggingSteps = 4, EvalSteps = 6 }; // 12 steps, checkpoints at 4, 8, 12
        new Trainer(model, null, TinySetup.Data(), settings, log)
        {
            Telemetry = new TrainingTelemetry { JobId = capture.JobId, PeakFlopsPerRank = peak },
        }.Run();
        capture.Root.Stop();

        // Traces: steps 1, 4, 8 and 12 (logged steps) under the current span, phases under them.
        var spans = capture.Spans;
        var steps = spans.Where(s => s.OperationName == "step").ToList();
        Assert.Equal([1, 4, 8, 12], steps.Select(s => (int)s.GetTagItem(TelemetryNames.StepTag)!).Order());
        Assert.All(steps, s =>
        {
            Assert.Equal(capture.Root.SpanId, s.ParentSpanId);
            Assert.Equal(capture.JobId, s.GetTagItem(TelemetryNames.JobIdTag));
            Assert.Equal(TelemetryNames.Training, s.Source.Name);
        });
        foreach (var step in steps)
        {
            var children = spans.Where(c => c.ParentSpanId == step.SpanId).Select(c => c.OperationName).ToList();
            // Global batch 4 in micro-batches of 2: two data/forward/backward each, then one sync and one update.
            Assert.Equal(3, children.Count(c => c == "data")); // the batch's samples, then each micro-batch's tensors
            Assert.Equal(2, children.Count(c => c == "forward"));
            Assert.Equal(2, children.Count(c => c == "backward"));
            Assert.Single(children, c => c == "all_reduce");
            Assert.Single(children, c => c == "optimizer");
            Assert.Equal((int)step.GetTagItem(TelemetryNames.StepTag)! % 4 == 0 ? 1 : 0, children.Count(c => c == "checkpoint"));
            var stepEnd = step.StartTimeUtc + step.Duration;
            Assert.All(spans.Where(c => c.ParentSpanId == step.SpanId), c => Assert.InRange(c.StartTimeUtc, step.StartTimeUtc, stepEnd));
        }
        // Evaluations are spans even in unsampled steps (step 6 hangs under the run's span), so are checkpoints.
        var evals = spans.Where(s => s.OperationName == "eval").ToList();
        Assert.Equal(2, evals.Count);
        Assert.Contains(evals, e => e.ParentSpanId == capture.Root.SpanId);
        Assert.Equal(3, spans.Count(s => s.OperationName == "checkpoint"));

        // Metrics: the loss, rate and norm of every step, exactly as the loop reported them.
        Assert.Equal(log.Steps.Select(s => s.Loss), capture.Of("athanor.train.loss").Select(m => m.Value));
        Assert.Equal(log.Steps.Select(s => s.LearningRate), capture.Of("athanor.train.learning_rate").Select(m => m.Value));
        Assert.Equal(log.Steps.Select(s => s.GradNorm), capture.Of("athanor.train.grad_norm").Select(m => m.Value));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (double)i), capture.Of("athanor.train.step").Select(m => m.Value));
        Assert.Equal(log.Evals.Select(e => e.EvalLoss), capture.Of("athanor.eval.loss").Select(m => m.Value));
        Assert.All(capture.Of("athanor.train.loss"), m => Assert.False(m.Tags.ContainsKey(TelemetryNames.RankTag))); // job-wide: once

        // Step-time breakdown: one value per phase per step on rank 0, seconds.
        var phases = capture.Of("athanor.train.phase.duration");
        foreach (var phase in new[] { "data", "forward", "backward", "all_reduce", "optimizer" })
            Assert.Equal(12, phases.Count(p => (string?)p.Tags[TelemetryNames.PhaseTag] == phase && (int)p.Tags[TelemetryNames.RankTag]! == 0));
        Assert.Equal(2, phases.Count(p => (string?)p.Tags[TelemetryNames.PhaseTag] == "eval"));
        Assert.Equal(3, phases.Count(p => (string?)p.Tags[TelemetryNames.PhaseTag] == "checkpoint"));
        var stepTimes = capture.Of("athanor.train.step.duration");
        Assert.Equal(12, stepTimes.Count);
        Assert.All(stepTimes, m => Assert.Equal("s", m.Unit));
        double phaseSum = phases.Where(p => (string?)p.Tags[TelemetryNames.PhaseTag] is not ("eval" or "checkpoint")).Sum(p => p.Value);
        Assert.InRange(phaseSum, 0.5 * stepTimes.Sum(m => m.Value), stepTimes.Sum(m => m.Value) * 1.0001);

        // Throughput and MFU: MFU = (4N + 2T) x tokens/s / peak, N = T for full fine-tuning.
        var tps = capture.Of("athanor.train.tokens_per_second").Select(m => m.Value).ToList();
        var mfu = capture.Of("athanor.train.mfu").Select(m => m.Value).ToList();
        double perToken = 6.0 * model.Config.ParameterCount();
        Assert.Equal(model.parameters().Sum(p => p.numel()), model.Config.ParameterCount());
        Assert.Equal(12, mfu.Count);
        for (int i = 0; i < mfu.Count; i++) Assert.Equal(perToken * tps[i] / peak, mfu[i], 1e-9);
        double tokens = capture.Of("athanor.train.tokens").Sum(m => m.Value);
        Assert.Equal(tokens, log.Steps.Sum(s => s.TokensPerSecond * s.StepSeconds), tokens * 1e-3); // the loop's own clock reads differ slightly

        // Checkpoints: three commits, the last one's size is the bytes of its folder.
        Assert.Equal(3, capture.Of("athanor.checkpoint.duration").Count);
        long lastSize = new DirectoryInfo(Path.Combine(temp.Path, "checkpoint-12")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.Equal(lastSize, capture.Of("athanor.checkpoint.size")[^1].Value);
        Assert.Equal("By", capture.Of("athanor.checkpoint.size")[^1].Unit);
    }

    [Fact]
    public async Task EveryRankRecordsItsPhasesAndZero2SyncsByReduceScatter()
    {
        using var temp = new TestPaths.TempFolder();
        using var capture = new TelemetryCapture(NewJobId());
        var data = TinySetup.Data();
        var group = new LocalGroup(2);
        var parent = capture.Root;
        var ranks = Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() =>
        {
            using var rankSpan = new ActivitySource("Athanor.Tests.Telemetry").StartActivity("rank", ActivityKind.Internal, parent.Context);
            using var collective = group.Join(rank);
            using var model = TinySetup.Model();
            var settings = TinySetup.Settings(temp.Path) with { WorldSize = 2, ZeroStage = 2, GradientAccumulation = 1, MaxSteps = 4, LoggingSteps = 2 };
            new Trainer(model, null, data, settings, null, collective) { Telemetry = new TrainingTelemetry { JobId = capture.JobId } }.Run();
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromMinutes(1));

        var phases = capture.Of("athanor.train.phase.duration");
        foreach (var rank in new[] { 0, 1 })
        {
            Assert.Equal(4, phases.Count(p => (int)p.Tags[TelemetryNames.RankTag]! == rank && (string?)p.Tags[TelemetryNames.PhaseTag] == "reduce_scatter"));
            Assert.Equal(4, capture.Of("athanor.train.step.duration").Count(p => (int)p.Tags[TelemetryNames.RankTag]! == rank));
        }
        Assert.DoesNotContain(phases, p => (string?)p.Tags[TelemetryNames.PhaseTag] == "all_reduce");
        Assert.Equal(4, capture.Of("athanor.train.loss").Count); // the leader only
        Assert.All(capture.Of("athanor.train.mfu"), m => Assert.InRange(m.Value, 1e-12, 1.0));

        // Both ranks' sampled steps (1, 2, 4) are in the one trace, under their rank's span.
        var steps = capture.Spans.Where(s => s.OperationName == "step").ToList();
        Assert.Equal(6, steps.Count);
        var rankSpans = capture.Spans.Where(s => s.OperationName == "rank").Select(s => s.SpanId).ToHashSet();
        Assert.All(steps, s => Assert.Contains(s.ParentSpanId, rankSpans));
        Assert.Equal([0, 0, 0, 1, 1, 1], steps.Select(s => (int)s.GetTagItem(TelemetryNames.RankTag)!).Order());
    }
}
