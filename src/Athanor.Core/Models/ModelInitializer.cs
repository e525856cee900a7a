using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Hugging Face's default initialization: normal(0, initializer_range) for matrices, ones for norms, zeros for biases.</summary>
public static class ModelInitializer
{
    /// <param name="include">which parameters to draw (by name); null: all of them</param>
    public static void InitializeRandom(CausalLM model, Generator? generator = null, Func<string, bool>? include = null)
    {
        using var _ = no_grad();
        double std = model.Config.InitializerRange;
        foreach (var (name, p) in model.named_parameters())
        {
            if (include is not null && !include(name)) continue;
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std, generator);
        }
    }
}
