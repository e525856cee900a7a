using System.Diagnostics;
using System.Text.Json.Nodes;
using Athanor.Telemetry;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The steps since the last logged row: their mean loss, tokens per second and phase times become one metrics row
/// every logging_steps (and at the first step with logging_first_step, and at the last). Also remembers the run's
/// first logged loss, continuing a resumed run's history.
/// </summary>
internal sealed class MetricsWindow(TrainerSettings settings, TrainingRecorder telemetry, Device? gpu, double? firstLoss)
{
    private double _loss;
    private int _steps;
    private long _tokens;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>The first logged mean loss of the run (of the resumed history, if there is one).</summary>
    public double? FirstLoss { get; private set; } = firstLoss;

    private readonly Dictionary<string, (double Sum, int Steps)> _extras = new(StringComparer.Ordinal);

    public void Add(double loss, long tokens)
    {
        _loss += loss;
        _steps++;
        _tokens += tokens;
    }

    /// <summary>A step's further metrics (preference rewards and log-probabilities): each row holds their mean over its steps.</summary>
    public void AddExtras(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (name, value) in metrics)
        {
            var (sum, steps) = _extras.GetValueOrDefault(name);
            _extras[name] = (sum + value, steps + 1);
        }
    }

    public bool Due(int step, int totalSteps) =>
        step % settings.LoggingSteps == 0 || step == totalSteps || (step == 1 && settings.LoggingFirstStep);

    /// <summary>The row of the steps since the last one; the window starts again.</summary>
    public JsonObject Close(int step, double epoch, double lr, double gradNorm)
    {
        double meanLoss = _loss / _steps;
        double seconds = _clock.Elapsed.TotalSeconds;
        FirstLoss ??= meanLoss;
        var row = new JsonObject
        {
            ["step"] = step, ["epoch"] = Math.Round(epoch, 4), ["loss"] = meanLoss, ["lr"] = lr,
            ["grad_norm"] = gradNorm, ["tokens_per_s"] = Math.Round(_tokens / seconds, 1),
            ["step_s"] = Math.Round(seconds / _steps, 4),
            ["phase_s"] = telemetry.TakeWindowPhases(_steps),
        };
        if (gpu is not null)
        {
            // cudaMemGetInfo's "in use": tensors plus the caching allocator's reserve and the context.
            row["mfu"] = Math.Round(telemetry.Utilization(_tokens, seconds), 4);
            row["gpu_mem_gib"] = Math.Round(Native.DeviceMemory.UsedGib(gpu.index), 2);
        }
        foreach (var (name, (sum, steps)) in _extras) row[name] = sum / steps;
        _extras.Clear();
        _loss = 0; _steps = 0; _tokens = 0; _clock.Restart();
        return row;
    }
}
