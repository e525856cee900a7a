using Athanor.Native.Cuda;

namespace Athanor.Native.Nccl;

/// <summary>
/// NCCL's entry points (libnccl.so.2), bound lazily as unmanaged function pointers. Signatures follow nccl.h:
/// ncclResult_t, ncclDataType_t and ncclRedOp_t are C enums (int); ncclComm_t and cudaStream_t are pointers;
/// size_t is nuint; ncclUniqueId goes by value.
/// </summary>
internal static unsafe class NcclApi
{
    internal static readonly NativeApi Library = new(
        "NCCL (libnccl)",
        "Install NCCL 2.17 or later (PyTorch's CUDA wheels bring one under site-packages/nvidia/nccl/lib) or add its folder to LD_LIBRARY_PATH.",
        Candidates);

    private static IEnumerable<string> Candidates()
    {
        // When libtorch_cuda is loaded it has already brought its own libnccl.so.2 in, and the loader returns that one by soname.
        yield return "libnccl.so.2";
        yield return "libnccl.so";
        if (TorchRuntime.CudaLibtorch is string torchLib)
            yield return Path.GetFullPath(Path.Combine(torchLib, "..", "..", "nvidia", "nccl", "lib", "libnccl.so.2"));
        yield return "/usr/lib/x86_64-linux-gnu/libnccl.so.2";
    }

    private static delegate* unmanaged<int*, int> _getVersion;
    private static delegate* unmanaged<NcclUniqueId*, int> _getUniqueId;
    private static delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int> _commInitRank;
    private static delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, NcclConfig*, int> _commInitRankConfig;
    private static delegate* unmanaged<IntPtr, int> _commFinalize;
    private static delegate* unmanaged<IntPtr, int> _commDestroy;
    private static delegate* unmanaged<IntPtr, int> _commAbort;
    private static delegate* unmanaged<IntPtr, int*, int> _commGetAsyncError;
    private static delegate* unmanaged<int, byte*> _getErrorString;
    private static delegate* unmanaged<IntPtr, byte*> _getLastError;
    private static delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> _allReduce;
    private static delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> _reduceScatter;
    private static delegate* unmanaged<IntPtr, IntPtr, nuint, int, IntPtr, IntPtr, int> _allGather;
    private static delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> _broadcast;
    private static delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, int, IntPtr, IntPtr, int> _reduce;
    private static delegate* unmanaged<int> _groupStart;
    private static delegate* unmanaged<int> _groupEnd;

    // ncclResult_t ncclGetVersion(int* version)
    internal static int GetVersion(int* version) =>
        (_getVersion != null ? _getVersion : _getVersion = (delegate* unmanaged<int*, int>)Library.Resolve("ncclGetVersion"))(version);

    // ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId)
    internal static int GetUniqueId(NcclUniqueId* id) =>
        (_getUniqueId != null ? _getUniqueId : _getUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Library.Resolve("ncclGetUniqueId"))(id);

    // ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank)
    internal static int CommInitRank(IntPtr* comm, int nranks, NcclUniqueId id, int rank) =>
        (_commInitRank != null ? _commInitRank : _commInitRank = (delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int>)Library.Resolve("ncclCommInitRank"))(comm, nranks, id, rank);

    internal static bool HasCommInitRankConfig => Library.TryResolve("ncclCommInitRankConfig", out _);

    // ncclResult_t ncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank, ncclConfig_t* config)
    internal static int CommInitRankConfig(IntPtr* comm, int nranks, NcclUniqueId id, int rank, NcclConfig* config) =>
        (_commInitRankConfig != null ? _commInitRankConfig : _commInitRankConfig = (delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, NcclConfig*, int>)Library.Resolve("ncclCommInitRankConfig"))(comm, nranks, id, rank, config);

    internal static bool HasCommFinalize => Library.TryResolve("ncclCommFinalize", out _);

    // ncclResult_t ncclCommFinalize(ncclComm_t comm)
    internal static int CommFinalize(IntPtr comm) =>
        (_commFinalize != null ? _commFinalize : _commFinalize = (delegate* unmanaged<IntPtr, int>)Library.Resolve("ncclCommFinalize"))(comm);

    // ncclResult_t ncclCommDestroy(ncclComm_t comm)
    internal static int CommDestroy(IntPtr comm) =>
        (_commDestroy != null ? _commDestroy : _commDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("ncclCommDestroy"))(comm);

    // ncclResult_t ncclCommAbort(ncclComm_t comm)
    internal static int CommAbort(IntPtr comm) =>
        (_commAbort != null ? _commAbort : _commAbort = (delegate* unmanaged<IntPtr, int>)Library.Resolve("ncclCommAbort"))(comm);

    // ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* asyncError)
    internal static int CommGetAsyncError(IntPtr comm, int* asyncError) =>
        (_commGetAsyncError != null ? _commGetAsyncError : _commGetAsyncError = (delegate* unmanaged<IntPtr, int*, int>)Library.Resolve("ncclCommGetAsyncError"))(comm, asyncError);

    // const char* ncclGetErrorString(ncclResult_t result)
    internal static byte* GetErrorString(int result) =>
        (_getErrorString != null ? _getErrorString : _getErrorString = (delegate* unmanaged<int, byte*>)Library.Resolve("ncclGetErrorString"))(result);

    internal static bool HasGetLastError => Library.TryResolve("ncclGetLastError", out _);

    // const char* ncclGetLastError(ncclComm_t comm)  (NCCL 2.13+; comm may be NULL)
    internal static byte* GetLastError(IntPtr comm) =>
        (_getLastError != null ? _getLastError : _getLastError = (delegate* unmanaged<IntPtr, byte*>)Library.Resolve("ncclGetLastError"))(comm);

    // ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream)
    internal static int AllReduce(IntPtr send, IntPtr receive, nuint count, int type, int op, IntPtr comm, IntPtr stream) =>
        (_allReduce != null ? _allReduce : _allReduce = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)Library.Resolve("ncclAllReduce"))(send, receive, count, type, op, comm, stream);

    // ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount, ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream)
    internal static int ReduceScatter(IntPtr send, IntPtr receive, nuint receiveCount, int type, int op, IntPtr comm, IntPtr stream) =>
        (_reduceScatter != null ? _reduceScatter : _reduceScatter = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)Library.Resolve("ncclReduceScatter"))(send, receive, receiveCount, type, op, comm, stream);

    // ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream)
    internal static int AllGather(IntPtr send, IntPtr receive, nuint sendCount, int type, IntPtr comm, IntPtr stream) =>
        (_allGather != null ? _allGather : _allGather = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, IntPtr, IntPtr, int>)Library.Resolve("ncclAllGather"))(send, receive, sendCount, type, comm, stream);

    // ncclResult_t ncclReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t stream)
    internal static int Reduce(IntPtr send, IntPtr receive, nuint count, int type, int op, int root, IntPtr comm, IntPtr stream) =>
        (_reduce != null ? _reduce : _reduce = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, int, IntPtr, IntPtr, int>)Library.Resolve("ncclReduce"))(send, receive, count, type, op, root, comm, stream);

    // ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream)
    internal static int Broadcast(IntPtr send, IntPtr receive, nuint count, int type, int root, IntPtr comm, IntPtr stream) =>
        (_broadcast != null ? _broadcast : _broadcast = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)Library.Resolve("ncclBroadcast"))(send, receive, count, type, root, comm, stream);

    // ncclResult_t ncclGroupStart()
    internal static int GroupStart() =>
        (_groupStart != null ? _groupStart : _groupStart = (delegate* unmanaged<int>)Library.Resolve("ncclGroupStart"))();

    // ncclResult_t ncclGroupEnd()
    internal static int GroupEnd() =>
        (_groupEnd != null ? _groupEnd : _groupEnd = (delegate* unmanaged<int>)Library.Resolve("ncclGroupEnd"))();
}
