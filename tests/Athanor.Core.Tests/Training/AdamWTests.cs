using Athanor.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

public class AdamWTests
{
    [Fact]
    public void MatchesLibtorchAdamW()
    {
        TorchRuntime.Initialize();
        manual_seed(5);
        using var init = randn(8, 6);
        using var bias0 = randn(6);
        var ours = new Parameter(init.clone());
        var oursBias = new Parameter(bias0.clone());
        var ref_ = new Parameter(init.clone());
        var refBias = new Parameter(bias0.clone());

        var layout = new Athanor.Parallel.FlatLayout([("w", ours), ("b.bias", oursBias)], (name, p) => p.dim() >= 2);
        using var optimizer = new Athanor.Parallel.ZeroAdamW(layout, new Athanor.Parallel.SingleRankCollective(), stage: 0, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8);
        // libtorch's own AdamW: decay on the matrix, none on the bias.
        var reference = optim.AdamW([ref_], lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1);
        var referenceBias = optim.AdamW([refBias], lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0);

        for (int step = 0; step < 5; step++)
        {
            using var target = randn(8, 6);
            foreach (var (w, b) in new[] { (ours, oursBias), (ref_, refBias) })
            {
                using var loss = ((w + b) * target).pow(2).sum();
                loss.backward();
            }
            optimizer.SyncAndClipGradients(maxNorm: 0);
            optimizer.Step(1e-2);
            optimizer.ZeroGrad();
            reference.step();
            reference.zero_grad();
            referenceBias.step();
            referenceBias.zero_grad();
        }
        using var diff = (ours - ref_).abs().max();
        using var diffBias = (oursBias - refBias).abs().max();
        Assert.True(diff.item<float>() < 1e-6, $"weights differ by {diff.item<float>()}");
        Assert.True(diffBias.item<float>() < 1e-6, $"biases differ by {diffBias.item<float>()}");
    }
}
