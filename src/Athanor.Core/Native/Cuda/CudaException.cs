namespace Athanor.Native.Cuda;

/// <summary>A CUDA runtime call that returned an error: which function, the cudaError_t code, its name and text.</summary>
public sealed class CudaException(string function, int code, string name, string description)
    : Exception($"{function} failed: {name} ({code}): {description}")
{
    public string Function { get; } = function;
    public int Code { get; } = code;
    public string ErrorName { get; } = name;
    public string Description { get; } = description;
}
