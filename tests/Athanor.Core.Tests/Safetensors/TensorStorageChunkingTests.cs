using Athanor.Checkpoints.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

/// <summary>
/// Tensors over 2 GiB cannot be one span, so their bytes move in chunks. The limits are lowered here so the
/// chunked path runs on a small tensor, including a last chunk shorter than the others.
/// </summary>
public class TensorStorageChunkingTests
{
    [Fact]
    public unsafe void ChunkedCopyIntoATensorMatchesTheSourceBytes()
    {
        using var _ = new TempFolder(); // initializes libtorch
        var source = new byte[2 * 3 * 7 * 4];
        new Random(7).NextBytes(source);

        Tensor chunked;
        fixed (byte* pointer = source)
            chunked = TensorStorage.CreateFrom(pointer, source.Length, [2, 3, 7], ScalarType.Float32, maxSpanBytes: 16, chunkBytes: 20);
        using (chunked)
        {
            Assert.Equal([2L, 3L, 7L], chunked.shape);
            Assert.Equal(source, chunked.bytes.ToArray());
        }
    }

    [Fact]
    public void ChunkedWriteOfATensorMatchesItsBytes()
    {
        using var _ = new TempFolder();
        using var tensor = torch.randn(5, 9).to_type(ScalarType.BFloat16);
        using var stream = new MemoryStream();

        TensorStorage.WriteTo(tensor, tensor.numel() * 2, stream, maxSpanBytes: 8, chunkBytes: 14);

        Assert.Equal(tensor.bytes.ToArray(), stream.ToArray());
    }
}
