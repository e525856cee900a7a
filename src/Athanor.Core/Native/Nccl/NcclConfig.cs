using System.Runtime.InteropServices;

namespace Athanor.Native.Nccl;

/// <summary>
/// The leading fields of ncclConfig_t as of NCCL 2.17 (size, magic, version, blocking, cgaClusterSize, minCTAs,
/// maxCTAs, netName). NCCL copies min(size, sizeof(its ncclConfig_t)) bytes over its NCCL_CONFIG_INITIALIZER
/// defaults and ignores fields newer than <see cref="Version"/>, so this prefix is valid for 2.17 and later
/// (checked against init.cc's ncclCommInitRankConfig and nccl.h). Only "blocking" is set: 0 makes every
/// call return at once (ncclInProgress) so that we can poll with a timeout instead of hanging.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NcclConfig
{
    internal const uint ApiMagic = 0xcafebeef;       // NCCL_API_MAGIC
    internal const uint Version217 = 21700;          // NCCL_VERSION(2,17,0)
    internal const int Undefined = int.MinValue;     // NCCL_CONFIG_UNDEF_INT

    public nuint Size;
    public uint Magic;
    public uint Version;
    public int Blocking;
    public int CgaClusterSize;
    public int MinCtas;
    public int MaxCtas;
    public IntPtr NetName;

    public static unsafe NcclConfig NonBlocking() => new()
    {
        Size = (nuint)sizeof(NcclConfig),
        Magic = ApiMagic,
        Version = Version217,
        Blocking = 0,
        CgaClusterSize = Undefined,
        MinCtas = Undefined,
        MaxCtas = Undefined,
        NetName = IntPtr.Zero,
    };
}
