using System.Runtime.InteropServices;
using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Tests.Native;

public class TensorMemoryTests
{
    public TensorMemoryTests() => TorchRuntime.Initialize();

    [Fact]
    public void Address_points_at_the_first_element_including_the_storage_offset()
    {
        using var t = arange(10, dtype: ScalarType.Float32);
        using var tail = t.narrow(0, 4, 3);
        var address = TensorMemory.Address(tail);
        var read = new float[3];
        Marshal.Copy(address, read, 0, 3);
        Assert.Equal([4f, 5f, 6f], read);
        Marshal.Copy(new[] { 42f }, 0, address, 1);
        Assert.Equal(42f, t[4].item<float>());
    }

    [Fact]
    public void Address_refuses_a_non_contiguous_tensor()
    {
        using var t = zeros(4, 6);
        using var transposed = t.t();
        var ex = Assert.Throws<ArgumentException>(() => TensorMemory.Address(transposed));
        Assert.Contains("contiguous", ex.Message);
    }
}
