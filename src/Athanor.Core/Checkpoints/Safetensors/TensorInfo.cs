using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// One tensor entry of a safetensors header. <see cref="Begin"/> and <see cref="End"/> are byte offsets relative
/// to the start of the data section, as the format stores them.
/// </summary>
public sealed record TensorInfo(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    public ScalarType ScalarType => SafetensorsDtype.ToScalarType(Dtype);

    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dim in Shape) count *= dim;
            return count;
        }
    }

    /// <summary>The shape as "[32,64]", as error messages print it.</summary>
    public static string FormatShape(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";
}
