using System.Runtime.InteropServices;

namespace Athanor.Native.Nccl;

/// <summary>Library-wide NCCL calls: version, error texts, group calls.</summary>
public static unsafe class Nccl
{
    /// <summary>NCCL_VERSION_CODE of the loaded library (22803 for 2.28.3).</summary>
    public static int VersionCode()
    {
        int version;
        Check(NcclApi.GetVersion(&version), "ncclGetVersion");
        return version;
    }

    /// <summary>"2.28.3": codes are major*10000 + minor*100 + patch since 2.9, major*1000 + minor*100 + patch before.</summary>
    public static string FormatVersion(int code) =>
        code >= 10000
            ? $"{code / 10000}.{code % 10000 / 100}.{code % 100}"
            : $"{code / 1000}.{code % 1000 / 100}.{code % 100}";

    public static string Version() => FormatVersion(VersionCode());

    /// <summary>The file NCCL was loaded from (after the first call).</summary>
    public static string? LoadedFrom => NcclApi.Library.LoadedFrom;

    /// <summary>True when NCCL loads here; otherwise false with the reason (never throws for a missing library).</summary>
    public static bool IsAvailable(out string? reason) => NcclApi.Library.TryLoad(out reason);

    public static string ErrorString(int code) => Marshal.PtrToStringUTF8((IntPtr)NcclApi.GetErrorString(code)) ?? "unknown error";

    /// <summary>NCCL's last detailed error message (ncclGetLastError), or null when this NCCL has none.</summary>
    public static string? LastError(IntPtr comm = default) =>
        NcclApi.HasGetLastError ? Marshal.PtrToStringUTF8((IntPtr)NcclApi.GetLastError(comm)) : null;

    /// <summary>Starts a group: collectives until <see cref="GroupEnd"/> are fused into one launch.</summary>
    public static void GroupStart() => Check(NcclApi.GroupStart(), "ncclGroupStart");

    /// <summary>Ends a group. True when the launch is still in progress (non-blocking communicators): poll the communicators.</summary>
    public static bool GroupEnd() => CheckInProgress(NcclApi.GroupEnd(), "ncclGroupEnd");

    internal static void Check(int code, string function, IntPtr comm = default)
    {
        if (code != (int)NcclResult.Success) throw Describe(code, function, comm);
    }

    /// <summary>Success: false; ncclInProgress: true; anything else throws.</summary>
    internal static bool CheckInProgress(int code, string function, IntPtr comm = default) =>
        code switch
        {
            (int)NcclResult.Success => false,
            (int)NcclResult.InProgress => true,
            _ => throw Describe(code, function, comm),
        };

    internal static NcclException Describe(int code, string function, IntPtr comm = default) =>
        new(function, code, ErrorString(code), LastError(comm));
}
