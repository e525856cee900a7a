using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

[assembly: InternalsVisibleTo("Athanor.Core.Tests")]

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// Moves raw bytes in and out of a contiguous CPU tensor's storage. TorchSharp exposes that storage as
/// <c>Tensor.bytes</c>, a span over the tensor's own memory (no copy), but a span is limited to int.MaxValue
/// bytes; larger tensors are walked through a flat view in chunks, each chunk a narrow() of that view.
/// </summary>
internal static class TensorStorage
{
    /// <summary>Chunk size for tensors past the span limit: 1 GiB, a multiple of every element size.</summary>
    public const long DefaultChunkBytes = 1L << 30;

    /// <summary>Copies <paramref name="length"/> bytes at <paramref name="source"/> into a fresh CPU tensor.</summary>
    /// <param name="maxSpanBytes">Largest copy done as one span (tests lower it to reach the chunked path).</param>
    public static unsafe Tensor CreateFrom(byte* source, long length, long[] shape, ScalarType type,
        long maxSpanBytes = int.MaxValue, long chunkBytes = DefaultChunkBytes)
    {
        var tensor = torch.empty(shape, type, torch.CPU);
        try
        {
            if (length == 0) return tensor;
            if (length <= maxSpanBytes)
            {
                new ReadOnlySpan<byte>(source, (int)length).CopyTo(tensor.bytes);
                return tensor;
            }
            var address = (nint)source;
            ForEachChunk(tensor, length, chunkBytes,
                (span, offset) => new ReadOnlySpan<byte>((byte*)(address + (nint)offset), span.Length).CopyTo(span));
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Writes the bytes of a contiguous CPU tensor to <paramref name="stream"/>.</summary>
    public static void WriteTo(Tensor contiguousCpu, long length, Stream stream,
        long maxSpanBytes = int.MaxValue, long chunkBytes = DefaultChunkBytes)
    {
        if (length == 0) return;
        if (length <= maxSpanBytes)
        {
            stream.Write(contiguousCpu.bytes);
            return;
        }
        ForEachChunk(contiguousCpu, length, chunkBytes, (span, _) => stream.Write(span));
    }

    private delegate void ChunkAction(Span<byte> chunk, long byteOffset);

    private static void ForEachChunk(Tensor tensor, long length, long chunkBytes, ChunkAction action)
    {
        var elementSize = tensor.ElementSize;
        var chunkElements = Math.Max(1, chunkBytes / elementSize);
        var elements = length / elementSize;
        using var flat = tensor.view(-1);
        for (long start = 0; start < elements; start += chunkElements)
        {
            var count = Math.Min(chunkElements, elements - start);
            using var part = flat.narrow(0, start, count);
            action(part.bytes, start * elementSize);
        }
    }
}
