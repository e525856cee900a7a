namespace Athanor.Kernels;

/// <summary>
/// RMSNorm as Models.RmsNorm computes it: statistics in fp32, x*rstd rounded to the input type, then times
/// the weight. Forward: one block per row, rstd kept for backward. Backward: each block walks rows
/// blockIdx, blockIdx+gridDim, ... and adds its rows' dweight terms into its own fp32 row of a partial
/// buffer [gridDim, cols] (summed over blocks afterwards, deterministically).
/// </summary>
public static class RmsNormSource
{
    public static readonly KernelSource Source = new("athanor_rmsnorm", """
        template <typename T>
        __device__ void rmsnorm_forward(const T* x, const T* w, T* y, float* rstd, int cols, float eps)
        {
            __shared__ float scratch[32];
            long long row = blockIdx.x;
            const T* xr = x + row * cols;
            T* yr = y + row * cols;
            float squares = 0.0f;
            for (int j = threadIdx.x; j < cols; j += blockDim.x) { float v = to_f(xr[j]); squares += v * v; }
            float mean = block_sum(squares, scratch) / (float)cols;
            float r = rsqrtf(mean + eps);
            if (threadIdx.x == 0) rstd[row] = r;
            for (int j = threadIdx.x; j < cols; j += blockDim.x)
            {
                float normed = round_to<T>(__fmul_rn(to_f(xr[j]), r));
                yr[j] = from_f<T>(__fmul_rn(to_f(w[j]), normed));
            }
        }

        template <typename T>
        __device__ void rmsnorm_backward(const T* x, const T* w, const T* dy, const float* rstd, T* dx,
                                         float* dw_partial, long long rows, int cols)
        {
            __shared__ float scratch[32];
            float* partial = dw_partial + (long long)blockIdx.x * cols;
            for (int j = threadIdx.x; j < cols; j += blockDim.x) partial[j] = 0.0f;
            for (long long row = blockIdx.x; row < rows; row += gridDim.x)
            {
                const T* xr = x + row * cols;
                const T* gr = dy + row * cols;
                T* dxr = dx + row * cols;
                float r = rstd[row];
                // d(normed) is rounded to T, as torch's bf16 multiply leaves it.
                float dot = 0.0f;
                for (int j = threadIdx.x; j < cols; j += blockDim.x)
                    dot += round_to<T>(__fmul_rn(to_f(gr[j]), to_f(w[j]))) * to_f(xr[j]);
                dot = block_sum(dot, scratch);
                float c = r * r * r * dot / (float)cols;
                for (int j = threadIdx.x; j < cols; j += blockDim.x)
                {
                    float xv = to_f(xr[j]), g = to_f(gr[j]);
                    float dn = round_to<T>(__fmul_rn(g, to_f(w[j])));
                    dxr[j] = from_f<T>(r * dn - xv * c);
                    partial[j] += g * round_to<T>(__fmul_rn(xv, r));
                }
            }
        }

        #define ATHANOR_RMSNORM(SUFFIX, T) \
        extern "C" __global__ void rmsnorm_forward_##SUFFIX(const T* x, const T* w, T* y, float* rstd, int cols, float eps) \
        { rmsnorm_forward<T>(x, w, y, rstd, cols, eps); } \
        extern "C" __global__ void rmsnorm_backward_##SUFFIX(const T* x, const T* w, const T* dy, const float* rstd, T* dx, \
                                                             float* dw_partial, long long rows, int cols) \
        { rmsnorm_backward<T>(x, w, dy, rstd, dx, dw_partial, rows, cols); }

        ATHANOR_RMSNORM(f32, float)
        ATHANOR_RMSNORM(bf16, bf16)
        """, ["rmsnorm_forward_f32", "rmsnorm_backward_f32", "rmsnorm_forward_bf16", "rmsnorm_backward_bf16"]);
}
