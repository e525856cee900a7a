using Athanor.Fp8;
using Athanor.Tests.Training;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Fp8;

/// <summary>An infinite amax skips the step (logged, the projection named, the weights untouched); three in a row stop the run.</summary>
public sealed class Fp8OverflowTests
{
    /// <summary>The emulation, but in the steps the test picks the first cast of each step (layer 0's q_proj input) reports an infinite amax.</summary>
    private sealed class OverflowingBackend(Func<int, bool> overflowAtStep) : IFp8Backend
    {
        private readonly EmulatedFp8Backend _inner = new();
        public int Step { get; set; } = 1;
        private int _lastPoisoned;
        public string Name => "emulated, overflowing on request";

        public Fp8Tensor Quantize(Tensor x, Athanor.Fp8.Fp8Format format, Tensor amaxSlot)
        {
            var result = _inner.Quantize(x, format, amaxSlot);
            if (overflowAtStep(Step) && _lastPoisoned != Step)
            {
                _lastPoisoned = Step;
                using var _ = no_grad();
                amaxSlot.fill_(float.PositiveInfinity);
            }
            return result;
        }

        public Fp8Tensor Transpose(Fp8Tensor t) => _inner.Transpose(t);
        public Tensor Gemm(Fp8Tensor a, Fp8Tensor b, ScalarType output) => _inner.Gemm(a, b, output);
    }

    private sealed class Messages : ITrainingObserver
    {
        public List<string> Lines { get; } = [];
        public void OnMessage(string message) => Lines.Add(message);
    }

    private static (Trainer Trainer, Messages Messages) Setup(Athanor.Models.CausalLM model, OverflowingBackend backend, string folder, int steps,
        Action<int>? afterStep = null)
    {
        Fp8Linears.Apply(model, backend);
        var messages = new Messages();
        var trainer = new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(folder) with { MaxSteps = steps, SaveSteps = 1000 }, messages)
        {
            StepCompleted = step =>
            {
                backend.Step = step + 1;
                afterStep?.Invoke(step);
            },
        };
        return (trainer, messages);
    }

    [Fact]
    public void AnOverflowedStepIsSkippedLoggedAndLeavesTheWeights()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        var backend = new OverflowingBackend(step => step is 3 or 4);
        Tensor? afterStep2 = null;
        var (trainer, messages) = Setup(model, backend, temp.Path, steps: 4, step =>
        {
            if (step == 2) afterStep2 = model.BlockProjections().First().Projection.Weight.detach().clone();
        });
        trainer.Run();
        var skipped = messages.Lines.Where(l => l.StartsWith("fp8: step", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.StartsWith("fp8: step 3 skipped (not applied): the amax of model.layers.0.self_attn.q_proj input (amax Infinity)", skipped[0]);
        Assert.Contains("(2 in a row; 3 stop the run)", skipped[1]);
        // Steps 3 and 4 were not applied: the weights are those after step 2.
        using (afterStep2)
        using (var now = model.BlockProjections().First().Projection.Weight.detach())
            Assert.Equal(0f, (now - afterStep2!).abs().max().item<float>());
        model.Fp8!.Dispose();
    }

    [Fact]
    public void ThreeOverflowsInARowStopTheRunNamingTheProjection()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        var (trainer, _) = Setup(model, new OverflowingBackend(step => step >= 2), temp.Path, steps: 8);
        var ex = Assert.ThrowsAny<Exception>(() => trainer.Run());
        var fp8 = ex as Fp8OverflowException ?? ex.InnerException as Fp8OverflowException;
        Assert.NotNull(fp8);
        Assert.StartsWith("fp8: the amax of model.layers.0.self_attn.q_proj input (amax Infinity) was infinite or NaN in 3 steps in a row (the last step 4)", fp8!.Message);
        Assert.DoesNotContain('\n', fp8.Message);
        model.Fp8!.Dispose();
    }
}
