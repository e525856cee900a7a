using Athanor.Models;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Tests.Training;

/// <summary>
/// A custom function's backward runs on libtorch's autograd engine (on a GPU, its device thread). Anything thrown
/// there that crosses the engine ends the process (std::terminate), taking a node and every job on it down. These
/// tests induce failures inside backward and check they come back as an error of the step, with the process alive.
/// </summary>
public class NativeBoundaryTests
{
    /// <summary>Identity forward; backward fails as told: a .NET exception, or a libtorch error from a bad native call.</summary>
    private sealed class FailingBackward : MultiTensorFunction<FailingBackward>
    {
        public override string Name => "TestFailingBackward";

        public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
        {
            BackwardResults.RememberInputs(ctx, vars);
            ctx.save_data("how", vars[1]);
            return [((Tensor)vars[0]).alias()];
        }

        public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs) =>
            BackwardResults.Guarded(ctx, gradOutputs, () =>
            {
                if ((string)ctx.get_data("how") == "managed") throw new InvalidOperationException("induced failure in backward");
                // A matrix product of shapes that do not fit: libtorch raises, TorchSharp's mm turns it into an exception.
                using var a = ones(3, 4);
                using var b = ones(5, 6);
                return [a.mm(b), null!];
            });
    }

    [Theory]
    [InlineData("managed", "induced failure in backward")]
    [InlineData("native", "mat1 and mat2 shapes cannot be multiplied")]
    public void A_failure_inside_backward_becomes_an_error_of_the_step_and_the_process_goes_on(string how, string message)
    {
        var gradients = new BackwardResults();
        using var x = ones(3, 4).requires_grad_(true);
        using (var y = FailingBackward.apply(x, how, gradients)[0])
        using (var loss = (y * 2).sum())
            loss.backward(); // returns: nothing crossed the engine
        Assert.Equal(1, gradients.Count); // the zero placeholder for x
        gradients.Release();
        Assert.Equal(0, gradients.Count);
        var error = Assert.Throws<InvalidOperationException>(gradients.ThrowIfFailed);
        Assert.Contains("a layer's backward failed", error.Message);
        Assert.Contains(message, error.ToString());
        gradients.ThrowIfFailed(); // reported once

        // The engine and this process still work.
        using var z = ones(2).requires_grad_(true);
        using (var sum = (z * 3).sum()) sum.backward();
        Assert.Equal(3f, z.grad!.sum().item<float>() / 2);
    }

    [Fact]
    public void A_job_whose_backward_fails_stops_with_the_error_and_the_next_job_trains()
    {
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        using (var broken = TinySetup.Model())
        {
            // The failing function sits on every layer's output, as a fused kernel or a checkpointed layer would.
            broken.Model.LayerWrappers.Add(LayerWrapperStage.Observe,
                (layer, index, x, inner) => FailingBackward.apply(inner(layer, index, x), "native", broken.Gradients)[0]);
            var trainer = new Trainer(broken, null, data, TinySetup.Settings(temp.Sub("broken")));
            var error = Assert.Throws<InvalidOperationException>(() => trainer.Run());
            Assert.Contains("mat1 and mat2 shapes cannot be multiplied", error.ToString());
            Assert.False(Directory.Exists(temp.Sub("broken", "checkpoint-1")), "a failed step must not be checkpointed");
        }
        using var healthy = TinySetup.Model();
        var result = new Trainer(healthy, null, data, TinySetup.Settings(temp.Sub("healthy")) with { MaxSteps = 2 }).Run();
        Assert.Equal(2, result.Steps);
    }

    [Fact]
    public void No_code_calls_the_native_entry_points_that_do_not_catch_libtorch_errors()
    {
        // TorchSharp 0.107's THSTensor_matmul has no try/catch (found by disassembling libLibTorchSharp.so: mm, bmm and
        // linear have one). An out-of-memory error there ends the process; Models.SafeMatmul is the way around it.
        var offenders = Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => l.line.Contains(".matmul(", StringComparison.Ordinal) && !l.line.TrimStart().StartsWith("//", StringComparison.Ordinal)
                && !l.line.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(TestPaths.RepoRoot(), l.f)}:{l.i + 1}")
            .ToList();
        Assert.True(offenders.Count == 0, "Tensor.matmul used at: " + string.Join(", ", offenders));
    }
}
