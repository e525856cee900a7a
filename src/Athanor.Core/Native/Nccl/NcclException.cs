namespace Athanor.Native.Nccl;

/// <summary>An NCCL call that failed: the function, the ncclResult_t, NCCL's text for it and its last detailed error.</summary>
public sealed class NcclException(string function, int code, string description, string? lastError)
    : Exception($"{function} failed: {NameOf(code)} ({code}): {description}" +
                (string.IsNullOrWhiteSpace(lastError) ? "" : $". NCCL says: {lastError.Trim()}"))
{
    public string Function { get; } = function;
    public int Code { get; } = code;
    public NcclResult Result => (NcclResult)Code;
    public string Description { get; } = description;
    public string? LastError { get; } = lastError;

    /// <summary>nccl.h's name of a result code ("ncclRemoteError").</summary>
    public static string NameOf(int code) =>
        Enum.IsDefined((NcclResult)code) ? "nccl" + (NcclResult)code : $"ncclResult {code}";
}
