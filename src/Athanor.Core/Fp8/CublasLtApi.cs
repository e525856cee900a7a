using Athanor.Native;
using Athanor.Native.Cuda;

namespace Athanor.Fp8;

/// <summary>
/// The cuBLASLt entry points the fp8 GEMM calls, bound lazily as unmanaged function pointers. Signatures and enum values
/// follow cublasLt.h / cublas_api.h / library_types.h (cublasStatus_t and the enums are C ints; handles are pointers).
/// The library is found like the CUDA runtime: by soname (libtorch_cuda has normally loaded it already), then in the
/// host PyTorch's pip CUDA folders, then under /usr/local/cuda*.
/// </summary>
internal static unsafe class CublasLtApi
{
    internal const int Success = 0;
    internal const int ComputeF32 = 68;         // CUBLAS_COMPUTE_32F
    internal const int R32F = 0;                // CUDA_R_32F
    internal const int R16BF = 14;              // CUDA_R_16BF
    internal const int R8FE4M3 = 28;            // CUDA_R_8F_E4M3
    internal const int R8FE5M2 = 29;            // CUDA_R_8F_E5M2
    internal const int OpN = 0, OpT = 1;        // cublasOperation_t
    internal const int DescTransA = 3;          // CUBLASLT_MATMUL_DESC_TRANSA
    internal const int DescTransB = 4;          // CUBLASLT_MATMUL_DESC_TRANSB
    internal const int DescAScalePointer = 17;  // CUBLASLT_MATMUL_DESC_A_SCALE_POINTER
    internal const int DescBScalePointer = 18;  // CUBLASLT_MATMUL_DESC_B_SCALE_POINTER
    internal const int DescFastAccum = 25;      // CUBLASLT_MATMUL_DESC_FAST_ACCUM
    internal const int PrefMaxWorkspaceBytes = 1; // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES

    /// <summary>cublasLtMatmulHeuristicResult_t: the algorithm (64 opaque bytes), its workspace, status, waves, 4 reserved ints.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct HeuristicResult
    {
        public fixed ulong Algo[8];
        public nuint WorkspaceSize;
        public int State;
        public float WavesCount;
        public fixed int Reserved[4];
    }

    internal static readonly NativeApi Library = new(
        "cuBLASLt (libcublasLt)",
        "fp8 GEMMs need cuBLASLt 12.1 or newer: PyTorch's CUDA wheels bring it (nvidia/cublas or nvidia/cu13), or add a CUDA toolkit's lib64 to LD_LIBRARY_PATH.",
        Candidates);

    private static IEnumerable<string> Candidates()
    {
        string[] names = ["libcublasLt.so.13", "libcublasLt.so.12"];
        foreach (var name in names) yield return name;
        if (TorchRuntime.CudaLibtorch is string torchLib)
        {
            var sitePackages = Path.GetFullPath(Path.Combine(torchLib, "..", ".."));
            foreach (var sub in new[] { "nvidia/cu13/lib", "nvidia/cublas/lib" })
                foreach (var name in names)
                    yield return Path.Combine(sitePackages, sub, name);
        }
        foreach (var folder in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda-13.0/targets/x86_64-linux/lib" })
            foreach (var name in names)
                yield return Path.Combine(folder, name);
    }

    private static delegate* unmanaged<IntPtr*, int> _create;
    private static delegate* unmanaged<nuint> _getVersion;
    private static delegate* unmanaged<IntPtr*, int, int, int> _descCreate;
    private static delegate* unmanaged<IntPtr, int, void*, nuint, int> _descSet;
    private static delegate* unmanaged<IntPtr, int> _descDestroy;
    private static delegate* unmanaged<IntPtr*, int, ulong, ulong, long, int> _layoutCreate;
    private static delegate* unmanaged<IntPtr, int> _layoutDestroy;
    private static delegate* unmanaged<IntPtr*, int> _prefCreate;
    private static delegate* unmanaged<IntPtr, int, void*, nuint, int> _prefSet;
    private static delegate* unmanaged<IntPtr, int> _prefDestroy;
    private static delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, int, HeuristicResult*, int*, int> _heuristic;
    private static delegate* unmanaged<IntPtr, IntPtr, void*, IntPtr, IntPtr, IntPtr, IntPtr, void*, IntPtr, IntPtr, IntPtr, IntPtr, void*, IntPtr, nuint, IntPtr, int> _matmul;

    // cublasStatus_t cublasLtCreate(cublasLtHandle_t* handle)
    internal static int Create(IntPtr* handle) =>
        (_create != null ? _create : _create = (delegate* unmanaged<IntPtr*, int>)Library.Resolve("cublasLtCreate"))(handle);

    // size_t cublasLtGetVersion(void)
    internal static nuint GetVersion() =>
        (_getVersion != null ? _getVersion : _getVersion = (delegate* unmanaged<nuint>)Library.Resolve("cublasLtGetVersion"))();

    // cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t* desc, cublasComputeType_t computeType, cudaDataType_t scaleType)
    internal static int DescCreate(IntPtr* desc, int computeType, int scaleType) =>
        (_descCreate != null ? _descCreate : _descCreate = (delegate* unmanaged<IntPtr*, int, int, int>)Library.Resolve("cublasLtMatmulDescCreate"))(desc, computeType, scaleType);

    // cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const void* buf, size_t sizeInBytes)
    internal static int DescSet(IntPtr desc, int attribute, void* value, nuint size) =>
        (_descSet != null ? _descSet : _descSet = (delegate* unmanaged<IntPtr, int, void*, nuint, int>)Library.Resolve("cublasLtMatmulDescSetAttribute"))(desc, attribute, value, size);

    // cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc)
    internal static int DescDestroy(IntPtr desc) =>
        (_descDestroy != null ? _descDestroy : _descDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cublasLtMatmulDescDestroy"))(desc);

    // cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t* layout, cudaDataType type, uint64_t rows, uint64_t cols, int64_t ld)
    internal static int LayoutCreate(IntPtr* layout, int type, ulong rows, ulong cols, long ld) =>
        (_layoutCreate != null ? _layoutCreate : _layoutCreate = (delegate* unmanaged<IntPtr*, int, ulong, ulong, long, int>)Library.Resolve("cublasLtMatrixLayoutCreate"))(layout, type, rows, cols, ld);

    // cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout)
    internal static int LayoutDestroy(IntPtr layout) =>
        (_layoutDestroy != null ? _layoutDestroy : _layoutDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cublasLtMatrixLayoutDestroy"))(layout);

    // cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t* pref)
    internal static int PreferenceCreate(IntPtr* preference) =>
        (_prefCreate != null ? _prefCreate : _prefCreate = (delegate* unmanaged<IntPtr*, int>)Library.Resolve("cublasLtMatmulPreferenceCreate"))(preference);

    // cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr, const void* buf, size_t sizeInBytes)
    internal static int PreferenceSet(IntPtr preference, int attribute, void* value, nuint size) =>
        (_prefSet != null ? _prefSet : _prefSet = (delegate* unmanaged<IntPtr, int, void*, nuint, int>)Library.Resolve("cublasLtMatmulPreferenceSetAttribute"))(preference, attribute, value, size);

    // cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref)
    internal static int PreferenceDestroy(IntPtr preference) =>
        (_prefDestroy != null ? _prefDestroy : _prefDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cublasLtMatmulPreferenceDestroy"))(preference);

    // cublasStatus_t cublasLtMatmulAlgoGetHeuristic(handle, operationDesc, Adesc, Bdesc, Cdesc, Ddesc, preference,
    //     int requestedAlgoCount, cublasLtMatmulHeuristicResult_t heuristicResultsArray[], int* returnAlgoCount)
    internal static int AlgoGetHeuristic(IntPtr handle, IntPtr desc, IntPtr a, IntPtr b, IntPtr c, IntPtr d, IntPtr preference,
        int requested, HeuristicResult* results, int* returned) =>
        (_heuristic != null ? _heuristic : _heuristic = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, int, HeuristicResult*, int*, int>)
            Library.Resolve("cublasLtMatmulAlgoGetHeuristic"))(handle, desc, a, b, c, d, preference, requested, results, returned);

    // cublasStatus_t cublasLtMatmul(handle, computeDesc, const void* alpha, const void* A, Adesc, const void* B, Bdesc,
    //     const void* beta, const void* C, Cdesc, void* D, Ddesc, const cublasLtMatmulAlgo_t* algo, void* workspace,
    //     size_t workspaceSizeInBytes, cudaStream_t stream)
    internal static int Matmul(IntPtr handle, IntPtr desc, void* alpha, IntPtr a, IntPtr aLayout, IntPtr b, IntPtr bLayout, void* beta,
        IntPtr c, IntPtr cLayout, IntPtr d, IntPtr dLayout, void* algo, IntPtr workspace, nuint workspaceSize, IntPtr stream) =>
        (_matmul != null ? _matmul : _matmul = (delegate* unmanaged<IntPtr, IntPtr, void*, IntPtr, IntPtr, IntPtr, IntPtr, void*, IntPtr, IntPtr, IntPtr, IntPtr, void*, IntPtr, nuint, IntPtr, int>)
            Library.Resolve("cublasLtMatmul"))(handle, desc, alpha, a, aLayout, b, bLayout, beta, c, cLayout, d, dLayout, algo, workspace, workspaceSize, stream);

    internal static void Check(int status, string call)
    {
        if (status != Success)
            throw new InvalidOperationException($"{call} failed with cublasStatus {status} ({StatusName(status)})");
    }

    private static string StatusName(int status) => status switch
    {
        1 => "NOT_INITIALIZED", 3 => "ALLOC_FAILED", 7 => "INVALID_VALUE", 8 => "ARCH_MISMATCH", 11 => "MAPPING_ERROR",
        13 => "EXECUTION_FAILED", 14 => "INTERNAL_ERROR", 15 => "NOT_SUPPORTED", 16 => "LICENSE_ERROR",
        _ => "unknown",
    };
}
