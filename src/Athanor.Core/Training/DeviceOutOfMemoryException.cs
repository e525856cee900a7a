namespace Athanor.Training;

/// <summary>A training step ran out of GPU memory; the message has the numbers, <see cref="OutOfMemoryAdvice"/> the knobs.</summary>
public sealed class DeviceOutOfMemoryException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>libtorch's out-of-memory errors (CUDA's caching allocator and plain CUDA) as TorchSharp surfaces them.</summary>
    public static bool Matches(Exception ex) =>
        ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) && ex is not DeviceOutOfMemoryException;
}
