namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// A safetensors file or index that breaks the format. The message always names the file and, where one is
/// involved, the tensor, then says what is wrong and what would be accepted.
/// </summary>
public sealed class SafetensorsFormatException : IOException
{
    public SafetensorsFormatException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file whose content is malformed.</summary>
    public string FilePath { get; }
}

/// <summary>A tensor name that a safetensors file or checkpoint does not hold.</summary>
public sealed class SafetensorsTensorNotFoundException : KeyNotFoundException
{
    public SafetensorsTensorNotFoundException(string tensorName, string location, int available)
        : base($"{location}: no tensor named '{tensorName}' (it holds {available} tensors; names are case-sensitive)")
    {
        TensorName = tensorName;
        Location = location;
    }

    public string TensorName { get; }

    /// <summary>The file or folder that was searched.</summary>
    public string Location { get; }
}
