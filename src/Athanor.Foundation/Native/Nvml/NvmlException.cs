namespace Athanor.Native.Nvml;

/// <summary>An NVML call that failed: the function, the nvmlReturn_t code and nvmlErrorString's text.</summary>
public sealed class NvmlException(string function, int code, string description)
    : Exception($"{function} failed: NVML error {code}: {description}")
{
    public string Function { get; } = function;
    public int Code { get; } = code;
    public string Description { get; } = description;
}
