using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Training;

public static class GradientClipping
{
    /// <summary>Scales all gradients so their global L2 norm is at most maxNorm (if maxNorm &gt; 0); returns the norm before clipping.</summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var norms = stack(grads.Select(g => g.to_type(ScalarType.Float32).norm()).ToArray());
        double total = norms.norm().item<float>();
        if (maxNorm > 0 && double.IsFinite(total))
        {
            double coef = maxNorm / (total + 1e-6);
            if (coef < 1)
                foreach (var g in grads) g.mul_(coef);
        }
        return total;
    }
}
