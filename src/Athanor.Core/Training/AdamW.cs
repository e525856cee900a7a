using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// AdamW with decoupled weight decay, step for step the arithmetic of torch.optim.AdamW (single-tensor
/// path), with fp32 state we can checkpoint by parameter name. Norm weights and biases take no decay.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<Slot> _slots;
    private readonly double _beta1, _beta2, _eps, _weightDecay;

    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        _weightDecay = weightDecay;
        _slots = parameters.Where(p => p.Parameter.requires_grad)
            .Select(p => new Slot(p.Name, p.Parameter, TakesDecay(p.Name, p.Parameter),
                zeros_like(p.Parameter, dtype: ScalarType.Float32), zeros_like(p.Parameter, dtype: ScalarType.Float32)))
            .ToList();
    }

    /// <summary>Optimizer steps taken so far (the bias-correction clock).</summary>
    public long StepCount { get; set; }

    public IReadOnlyList<Parameter> Parameters => _slots.Select(s => s.Parameter).ToList();

    /// <summary>Matrices decay; vectors (norm weights, biases) do not, as Hugging Face's Trainer decides.</summary>
    public static bool TakesDecay(string name, Tensor p) => p.dim() >= 2 && !name.EndsWith(".bias", StringComparison.Ordinal);

    public void Step(double lr)
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(_beta1, StepCount);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, StepCount));
        using var _ = no_grad();
        foreach (var slot in _slots)
        {
            var grad = slot.Parameter.grad;
            if (grad is null) continue;
            using var scope = NewDisposeScope();
            var g = grad.dtype == ScalarType.Float32 ? grad : grad.to_type(ScalarType.Float32);
            if (slot.Decay && _weightDecay != 0) slot.Parameter.mul_(1 - lr * _weightDecay);
            slot.ExpAvg.mul_(_beta1).add_(g, 1 - _beta1);
            slot.ExpAvgSq.mul_(_beta2).addcmul_(g, g, 1 - _beta2);
            var denom = (slot.ExpAvgSq.sqrt() / bc2Sqrt).add_(_eps);
            var update = slot.ExpAvg / denom * (-lr / bc1);
            slot.Parameter.add_(update.to_type(slot.Parameter.dtype));
        }
    }

    public void ZeroGrad()
    {
        foreach (var slot in _slots)
            slot.Parameter.grad?.zero_();
    }

    /// <summary>State tensors keyed "{param}.exp_avg" / "{param}.exp_avg_sq", for checkpoints.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors()
    {
        foreach (var s in _slots)
        {
            yield return new(s.Name + ".exp_avg", s.ExpAvg);
            yield return new(s.Name + ".exp_avg_sq", s.ExpAvgSq);
        }
    }

    public void LoadState(Func<string, Tensor?> read, long stepCount)
    {
        using var _ = no_grad();
        foreach (var s in _slots)
        {
            foreach (var (key, target) in new[] { (s.Name + ".exp_avg", s.ExpAvg), (s.Name + ".exp_avg_sq", s.ExpAvgSq) })
            {
                using var value = read(key) ?? throw new InvalidDataException($"optimizer state '{key}' is missing from the checkpoint");
                if (!value.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"optimizer state '{key}' has shape [{string.Join(",", value.shape)}], the model needs [{string.Join(",", target.shape)}]");
                target.copy_(value);
            }
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var s in _slots)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
    }

    private sealed record Slot(string Name, Parameter Parameter, bool Decay, Tensor ExpAvg, Tensor ExpAvgSq);
}
