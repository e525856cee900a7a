using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>The error that ends an fp8 run whose scales overflowed <see cref="Fp8OverflowGuard.Limit"/> steps in a row.</summary>
public sealed class Fp8OverflowException(string message) : Exception(message);

/// <summary>
/// What a step does when an fp8 cast saw an infinite or NaN amax (no scale can represent that tensor): every rank learns
/// of it (one tiny all-reduce, so all skip the same step together), the step's update is skipped and logged with the
/// projection named, and <see cref="Limit"/> such steps in a row stop the run naming it.
/// </summary>
public sealed class Fp8OverflowGuard
{
    public const int Limit = 3;
    private int _inARow;

    /// <summary>Null when the step may be applied; otherwise the line to log for skipping it. Throws at the limit.</summary>
    public string? Check(Fp8AmaxMonitor? monitor, ICollective group, int step)
    {
        if (monitor is null) return null;
        var overflow = monitor.FirstOverflow();
        bool anywhere = overflow is not null;
        if (group.WorldSize > 1)
        {
            using var flag = tensor(new[] { anywhere ? 1.0f : 0.0f });
            group.AllReduceSum(flag);
            anywhere = flag.item<float>() > 0;
        }
        if (!anywhere)
        {
            _inARow = 0;
            return null;
        }
        _inARow++;
        var where = overflow ?? "a projection on another rank";
        if (_inARow >= Limit)
            throw new Fp8OverflowException($"fp8: the amax of {where} was infinite or NaN in {Limit} steps in a row (the last step {step}); " +
                "the run is stopped. Lower the learning rate, keep max_grad_norm on, or train this model with fp8: false");
        return $"fp8: step {step} skipped (not applied): the amax of {where} is infinite or NaN ({_inARow} in a row; {Limit} stop the run)";
    }
}
