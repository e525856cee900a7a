using Athanor.Checkpoints.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

/// <summary>A range of a stored tensor copied straight into a destination through a small staging buffer.</summary>
public class SafetensorsCopyIntoTests
{
    [Theory]
    [InlineData(64L)]        // 16 fp32 values a chunk: many chunks and a short last one
    [InlineData(1L << 20)]   // one chunk
    public void ARangeLandsInTheDestinationExactlyWhateverTheChunkSize(long chunkBytes)
    {
        using var folder = new TempFolder();
        var path = folder.File("state.safetensors");
        using var stored = arange(1000, dtype: ScalarType.Float32) * 0.5f;
        SafetensorsWriter.Write(path, [new("exp_avg", stored)]);
        using var file = SafetensorsFile.Open(path);

        using var destination = full(500, -1f);
        file.CopyInto("exp_avg", 123, destination, chunkBytes);

        Assert.Equal(Enumerable.Range(123, 500).Select(i => i * 0.5f).ToArray(), destination.data<float>().ToArray());
    }

    [Fact]
    public void TheDestinationsTypeIsKeptAndAMultiDimensionalTensorIsReadFlat()
    {
        using var folder = new TempFolder();
        var path = folder.File("weights.safetensors");
        using var stored = arange(24, dtype: ScalarType.Float32).reshape(4, 6);
        SafetensorsWriter.Write(path, [new("w", stored)]);
        using var file = SafetensorsFile.Open(path);

        using var destination = zeros(new long[] { 2, 5 }, ScalarType.BFloat16);
        file.CopyInto("w", 7, destination, chunkBytes: 12);

        Assert.Equal(ScalarType.BFloat16, destination.dtype);
        using var values = destination.to_type(ScalarType.Float32).view(-1);
        Assert.Equal(Enumerable.Range(7, 10).Select(i => (float)i).ToArray(), values.data<float>().ToArray());
    }

    [Fact]
    public void ARangePastTheEndIsRefusedWithTheSizes()
    {
        using var folder = new TempFolder();
        var path = folder.File("state.safetensors");
        using var stored = zeros(10);
        SafetensorsWriter.Write(path, [new("exp_avg", stored)]);
        using var file = SafetensorsFile.Open(path);
        using var destination = zeros(5);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => file.CopyInto("exp_avg", 6, destination));
        Assert.Contains("'exp_avg' has 10 elements; asked for [6, 11)", ex.Message);
    }
}
