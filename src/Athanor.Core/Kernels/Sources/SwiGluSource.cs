namespace Athanor.Kernels;

/// <summary>
/// silu(gate) * up and its gradients, elementwise, with torch's formulas and with the intermediate
/// silu(gate) and dy*up rounded to the storage type as the unfused path stores them.
/// </summary>
public static class SwiGluSource
{
    public static readonly KernelSource Source = new("athanor_swiglu", """
        template <typename T>
        __device__ void swiglu_forward(const T* gate, const T* up, T* y, long long n)
        {
            GRID_STRIDE(i, n)
            {
                float g = to_f(gate[i]);
                float s = round_to<T>(g / (1.0f + expf(-g)));
                y[i] = from_f<T>(__fmul_rn(s, to_f(up[i])));
            }
        }

        template <typename T>
        __device__ void swiglu_backward(const T* gate, const T* up, const T* dy, T* dgate, T* dup, long long n)
        {
            GRID_STRIDE(i, n)
            {
                float g = to_f(gate[i]), u = to_f(up[i]), d = to_f(dy[i]);
                float s = round_to<T>(g / (1.0f + expf(-g)));
                dup[i] = from_f<T>(__fmul_rn(d, s));
                float ds = round_to<T>(__fmul_rn(d, u));
                float sig = 1.0f / (1.0f + expf(-g));
                dgate[i] = from_f<T>(ds * sig * (1.0f + g * (1.0f - sig)));
            }
        }

        #define ATHANOR_SWIGLU(SUFFIX, T) \
        extern "C" __global__ void swiglu_forward_##SUFFIX(const T* gate, const T* up, T* y, long long n) \
        { swiglu_forward<T>(gate, up, y, n); } \
        extern "C" __global__ void swiglu_backward_##SUFFIX(const T* gate, const T* up, const T* dy, T* dgate, T* dup, long long n) \
        { swiglu_backward<T>(gate, up, dy, dgate, dup, n); }

        ATHANOR_SWIGLU(f32, float)
        ATHANOR_SWIGLU(bf16, bf16)
        """, ["swiglu_forward_f32", "swiglu_backward_f32", "swiglu_forward_bf16", "swiglu_backward_bf16"]);
}
