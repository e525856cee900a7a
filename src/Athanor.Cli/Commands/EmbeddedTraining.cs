using System.Diagnostics;
using Athanor.Cli.Terminal;
using Athanor.Cluster.Backend;
using Athanor.Cluster.Hosting;
using Athanor.Configuration;
using Athanor.Node.Backend;
using Athanor.Training;

namespace Athanor.Cli.Commands;

/// <summary>
/// `cluster train` runs through the same actors as a cluster: it starts a one-member cluster in this process
/// (coordinator and a worker with one CPU slot per rank, journal in a temporary folder), submits the job to
/// it through the same backend the gRPC service uses, and shows the job's events as a live progress view.
/// What works on a laptop is what runs on the cluster.
/// </summary>
public static class EmbeddedTraining
{
    public sealed record Outcome(JobState State, string? Error, int Steps);

    /// <param name="webConsole">Serve the web console of the embedded cluster while the run lasts (`--console`).</param>
    public static async Task<Outcome> RunAsync(JobConfig config, int world, int zero, ConsoleProgress progress, CancellationToken cancel, bool webConsole = false)
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "athanor-train-" + Guid.NewGuid().ToString("N")[..12]);
        int port = LoopbackPort.Free();
        var options = new ClusterNodeOptions
        {
            Host = "127.0.0.1", Port = port, Seeds = [$"127.0.0.1:{port}"], Devices = config.Device == "cpu" ? $"cpu:{world}" : config.Device == "cuda" ? "cuda" : config.Device, DataDir = stateDir,
            Journal = "sqlite", LogLevel = "ERROR", DrainTimeout = TimeSpan.FromSeconds(120),
        };
        var (min, max) = (Math.Min(world, config.WorldSize), Math.Max(world, config.WorldSize));
        var job = config with { ZeroStage = zero, MinWorldSize = min, MaxWorldSize = max };
        try
        {
            await using var node = await ClusterNode.StartAsync(options, CancellationToken.None);
            await ClusterReadiness.WaitAsync(node, isWorker: true, TimeSpan.FromSeconds(90), CancellationToken.None);
            var backend = new ClusterJobBackend(node);
            await using var console = webConsole ? await EmbeddedConsole.StartAsync(backend, config.OutputDir, progress.Line) : null;
            var record = await backend.SubmitAsync(new JobSubmission(Path.GetFileName(config.OutputDir), job, []), CancellationToken.None);
            using var cancelRegistration = cancel.Register(() => _ = backend.CancelAsync(record.Id, CancellationToken.None));
            var outcome = await Follow(backend, record.Id, progress);
            return outcome;
        }
        finally
        {
            try { Directory.Delete(stateDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Turns the job's event stream into the progress view until the job ends.</summary>
    private static async Task<Outcome> Follow(IJobBackend backend, string jobId, ConsoleProgress progress)
    {
        var clock = Stopwatch.StartNew();
        int firstStep = -1, lastStep = 0;
        JobState state = JobState.Pending;
        string? error = null;
        await foreach (var e in backend.WatchAsync(jobId, 1, follow: true, CancellationToken.None))
        {
            switch (e)
            {
                case JobStepReported s:
                    if (firstStep < 0) { firstStep = s.Step - 1; clock.Restart(); }
                    lastStep = s.Step;
                    double perStep = clock.Elapsed.TotalSeconds / Math.Max(1, s.Step - firstStep);
                    progress.OnStep(new StepMetrics(s.Step, s.MaxSteps, s.Metrics.Epoch ?? 0, s.Metrics.Loss ?? double.NaN, s.Metrics.LearningRate ?? 0,
                        s.Metrics.GradNorm ?? 0, s.Metrics.TokensPerSecond ?? 0, perStep, clock.Elapsed,
                        TimeSpan.FromSeconds(perStep * Math.Max(0, s.MaxSteps - s.Step))));
                    break;
                case JobEvalReported v:
                    progress.OnEval(new EvalMetrics(v.Step, v.EvalLoss, 0, v.IsBest));
                    break;
                case JobCheckpointSaved c:
                    progress.OnCheckpoint(c.Step, c.Path);
                    break;
                case JobLogLine l:
                    progress.Line(l.Text);
                    break;
                case JobStateChanged c:
                    state = c.State;
                    error = c.Error;
                    break;
            }
        }
        return new Outcome(state, error, lastStep);
    }
}
