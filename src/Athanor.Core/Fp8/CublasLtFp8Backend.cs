using Athanor.Kernels;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// fp8 on one CUDA device: amax and cast in NVRTC kernels (<see cref="Fp8CastSource"/>), the GEMM in cuBLASLt with fp8
/// A and B, fp32 accumulation, bf16 (or fp32) D and the inverse scales through A/B_SCALE_POINTER, all on torch's current
/// stream. cuBLASLt's fp8 rules (TN layout, dimensions multiple of 16) are met here: operands are row-major [rows, k],
/// which column-major reads as the TN form, and a dimension that is not a multiple of 16 is zero-padded (zeros add
/// nothing to a dot product) and the result cut back.
/// </summary>
public sealed unsafe class CublasLtFp8Backend : IFp8Backend, IDisposable
{
    private const long WorkspaceBytes = 32L << 20; // what NVIDIA's guide asks for on Hopper
    private readonly int _device;
    private readonly IntPtr _handle;
    private readonly Tensor _workspace;
    private readonly Lock _gate = new();
    private readonly Dictionary<(long M, long N, long K, int A, int B, int D), GemmPlan> _plans = [];

    public CublasLtFp8Backend(int device)
    {
        _device = device;
        if (Fp8Support.WhyNot(device) is string problem) throw new InvalidOperationException("fp8 is unavailable: " + problem);
        IntPtr handle;
        CublasLtApi.Check(CublasLtApi.Create(&handle), "cublasLtCreate");
        _handle = handle;
        _workspace = empty(WorkspaceBytes, ScalarType.Byte, new Device(DeviceType.CUDA, device));
    }

    public string Name => $"cuBLASLt on cuda:{_device}";

    public Fp8Tensor Quantize(Tensor x, Fp8Format format, Tensor amaxSlot)
    {
        if (x.dim() != 2 || !x.is_contiguous()) throw new ArgumentException("the fp8 cast takes a contiguous 2-D tensor");
        string type = FusedRuntime.Suffix(x, "the fp8 cast's input");
        long n = x.numel();
        using var callAmax = zeros(1, ScalarType.Int32, x.device);
        var data = empty(x.shape, ScalarType.Byte, x.device);
        var inverse = empty(1, ScalarType.Float32, x.device);
        var stream = FusedRuntime.Stream(_device);
        int grid = FusedRuntime.ElementwiseGrid(n, 256, _device);
        FusedRuntime.Kernel(Fp8CastSource.Source, "fp8_amax_" + type, _device).Launch(grid, 256, 0, stream,
            TensorMemory.Address(x), n, TensorMemory.Address(callAmax), TensorMemory.Address(amaxSlot));
        FusedRuntime.Kernel(Fp8CastSource.Source, $"fp8_cast_{format.Name}_{type}", _device).Launch(FusedRuntime.ElementwiseGrid((n + 1) / 2, 256, _device), 256, 0, stream,
            TensorMemory.Address(x), TensorMemory.Address(data), n, TensorMemory.Address(callAmax), format.Max, TensorMemory.Address(inverse));
        return new Fp8Tensor(data, inverse, format);
    }

    public Fp8Tensor Transpose(Fp8Tensor t) => new(t.Data.t().contiguous(), t.InverseScale.clone(), t.Format);

    public Tensor Gemm(Fp8Tensor a, Fp8Tensor b, ScalarType output)
    {
        if (a.Cols != b.Cols) throw new ArgumentException($"fp8 GEMM: a is [{a.Rows}, {a.Cols}] and b [{b.Rows}, {b.Cols}]; both need the same k");
        if (a.Format == Fp8Format.E5M2 && b.Format == Fp8Format.E5M2) throw new ArgumentException("cuBLASLt has no E5M2 x E5M2 GEMM");
        int dType = output switch
        {
            ScalarType.BFloat16 => CublasLtApi.R16BF,
            ScalarType.Float32 => CublasLtApi.R32F,
            _ => throw new ArgumentException($"fp8 GEMM output must be bfloat16 or float32; got {output}"),
        };
        using var scope = NewDisposeScope();
        long m = Pad16(a.Rows), n = Pad16(b.Rows), k = Pad16(a.Cols);
        var left = Padded(a.Data, m, k);
        var right = Padded(b.Data, n, k);
        var d = empty([m, n], output, a.Data.device);
        // Column-major: D^T [n, m] = right [n, k] (A, transposed) times left^T [k, m] (B, not transposed).
        var plan = PlanFor(m, n, k, TypeOf(b.Format), TypeOf(a.Format), dType);
        float alpha = 1f, beta = 0f;
        lock (_gate)
        {
            IntPtr aScale = TensorMemory.Address(b.InverseScale), bScale = TensorMemory.Address(a.InverseScale);
            CublasLtApi.Check(CublasLtApi.DescSet(plan.Desc, CublasLtApi.DescAScalePointer, &aScale, (nuint)sizeof(IntPtr)), "cublasLtMatmulDescSetAttribute(A_SCALE_POINTER)");
            CublasLtApi.Check(CublasLtApi.DescSet(plan.Desc, CublasLtApi.DescBScalePointer, &bScale, (nuint)sizeof(IntPtr)), "cublasLtMatmulDescSetAttribute(B_SCALE_POINTER)");
            var algo = plan.Algo;
            CublasLtApi.Check(CublasLtApi.Matmul(_handle, plan.Desc, &alpha, TensorMemory.Address(right), plan.A, TensorMemory.Address(left), plan.B, &beta,
                TensorMemory.Address(d), plan.D, TensorMemory.Address(d), plan.D, algo.Algo, TensorMemory.Address(_workspace), (nuint)WorkspaceBytes,
                FusedRuntime.Stream(_device)), "cublasLtMatmul");
        }
        var result = m == a.Rows && n == b.Rows ? d : d.narrow(0, 0, a.Rows).narrow(1, 0, b.Rows).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    private static long Pad16(long v) => (v + 15) / 16 * 16;

    private static Tensor Padded(Tensor data, long rows, long cols) =>
        rows == data.shape[0] && cols == data.shape[1] ? data
            : nn.functional.pad(data, [0, cols - data.shape[1], 0, rows - data.shape[0]]);

    private static int TypeOf(Fp8Format format) => format == Fp8Format.E4M3 ? CublasLtApi.R8FE4M3 : CublasLtApi.R8FE5M2;

    /// <summary>The descriptors and the heuristic's algorithm for one shape and type combination, made once.</summary>
    private sealed class GemmPlan
    {
        public IntPtr Desc, A, B, D;
        public CublasLtApi.HeuristicResult Algo;
    }

    private GemmPlan PlanFor(long m, long n, long k, int aType, int bType, int dType)
    {
        lock (_gate)
        {
            if (_plans.TryGetValue((m, n, k, aType, bType, dType), out var existing)) return existing;
            var plan = new GemmPlan();
            IntPtr desc, la, lb, ld, pref;
            CublasLtApi.Check(CublasLtApi.DescCreate(&desc, CublasLtApi.ComputeF32, CublasLtApi.R32F), "cublasLtMatmulDescCreate");
            int transA = CublasLtApi.OpT, transB = CublasLtApi.OpN;
            CublasLtApi.Check(CublasLtApi.DescSet(desc, CublasLtApi.DescTransA, &transA, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSA)");
            CublasLtApi.Check(CublasLtApi.DescSet(desc, CublasLtApi.DescTransB, &transB, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSB)");
            // A: [n, k] row-major = column-major k x n (ld k), transposed; B: [m, k] row-major = column-major k x m; D: column-major n x m.
            CublasLtApi.Check(CublasLtApi.LayoutCreate(&la, aType, (ulong)k, (ulong)n, k), "cublasLtMatrixLayoutCreate(A)");
            CublasLtApi.Check(CublasLtApi.LayoutCreate(&lb, bType, (ulong)k, (ulong)m, k), "cublasLtMatrixLayoutCreate(B)");
            CublasLtApi.Check(CublasLtApi.LayoutCreate(&ld, dType, (ulong)n, (ulong)m, n), "cublasLtMatrixLayoutCreate(D)");
            (plan.Desc, plan.A, plan.B, plan.D) = (desc, la, lb, ld);
            CublasLtApi.Check(CublasLtApi.PreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
            try
            {
                ulong workspace = WorkspaceBytes;
                CublasLtApi.Check(CublasLtApi.PreferenceSet(pref, CublasLtApi.PrefMaxWorkspaceBytes, &workspace, sizeof(ulong)), "cublasLtMatmulPreferenceSetAttribute");
                CublasLtApi.HeuristicResult result;
                int returned = 0;
                CublasLtApi.Check(CublasLtApi.AlgoGetHeuristic(_handle, desc, la, lb, ld, ld, pref, 1, &result, &returned), "cublasLtMatmulAlgoGetHeuristic");
                if (returned == 0)
                    throw new InvalidOperationException($"cuBLASLt has no fp8 algorithm for m={m} n={n} k={k} (types {aType}, {bType} -> {dType})");
                plan.Algo = result;
            }
            finally { CublasLtApi.PreferenceDestroy(pref); }
            _plans[(m, n, k, aType, bType, dType)] = plan;
            return plan;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var plan in _plans.Values)
            {
                CublasLtApi.LayoutDestroy(plan.A);
                CublasLtApi.LayoutDestroy(plan.B);
                CublasLtApi.LayoutDestroy(plan.D);
                CublasLtApi.DescDestroy(plan.Desc);
            }
            _plans.Clear();
        }
        _workspace.Dispose();
    }
}
