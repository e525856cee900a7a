namespace Athanor.Native.Cuda;

/// <summary>
/// A native library (CUDA runtime, NCCL, NVML) that none of its usual file names could load. The message
/// lists every name tried with the loader's reason and says what to install, so "no GPU stack here" reads
/// as one line instead of a TypeInitializationException.
/// </summary>
public sealed class NativeLibraryMissingException(string library, IReadOnlyList<string> attempts, string hint)
    : DllNotFoundException($"{library} could not be loaded: tried {string.Join("; ", attempts)}. {hint}")
{
    /// <summary>What was being loaded, e.g. "the CUDA runtime".</summary>
    public string Library { get; } = library;

    /// <summary>Each file name tried, with the loader's reason.</summary>
    public IReadOnlyList<string> Attempts { get; } = attempts;
}
