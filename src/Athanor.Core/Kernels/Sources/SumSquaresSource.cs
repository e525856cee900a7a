namespace Athanor.Kernels;

/// <summary>Sum of squares of a tensor added in fp32 into one float on the device: block sums, one atomicAdd per block.</summary>
public static class SumSquaresSource
{
    public static readonly KernelSource Source = new("athanor_sumsq", """
        template <typename T>
        __device__ void sum_squares(const T* x, long long n, float* acc)
        {
            __shared__ float scratch[32];
            float s = 0.0f;
            GRID_STRIDE(i, n) { float v = to_f(x[i]); s += v * v; }
            s = block_sum(s, scratch);
            if (threadIdx.x == 0) atomicAdd(acc, s);
        }

        extern "C" __global__ void sum_squares_f32(const float* x, long long n, float* acc) { sum_squares<float>(x, n, acc); }
        extern "C" __global__ void sum_squares_bf16(const bf16* x, long long n, float* acc) { sum_squares<bf16>(x, n, acc); }
        """, ["sum_squares_f32", "sum_squares_bf16"]);
}
