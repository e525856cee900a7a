using Athanor.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Models;

public class DtypeConversionTests
{
    /// <summary>Module.to(dtype) replaces parameter objects; the model must use the new ones (the GPU path casts to bf16).</summary>
    [Fact]
    public void AModelCastToBf16StillComputesTheSameFunction()
    {
        using var model = Golden.LoadModel("qwen2");
        var (ids, expected) = Golden.Read(TestPaths.Model("qwen2"));
        model.to(ScalarType.BFloat16);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = model.forward(ids).to_type(ScalarType.Float32);
            double error = Golden.RelativeError(logits, expected);
            Assert.True(error < 0.05, $"bf16 logits are {error:P1} off the fp32 reference");
        }
    }
}
