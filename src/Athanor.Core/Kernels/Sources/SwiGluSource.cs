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

        // The same arithmetic on 16-byte packs (n a multiple of the pack, addresses 16-byte aligned): fewer, wider memory operations.
        template <typename T>
        __device__ void swiglu_forward_packed(const T* gate, const T* up, T* y, long long packs)
        {
            const int N = Pack16<T>::N;
            GRID_STRIDE(i, packs)
            {
                float g[N], u[N], out[N];
                load16(gate, i, g);
                load16(up, i, u);
                for (int k = 0; k < N; k++) out[k] = __fmul_rn(round_to<T>(g[k] / (1.0f + expf(-g[k]))), u[k]);
                store16(y, i, out);
            }
        }

        template <typename T>
        __device__ void swiglu_backward_packed(const T* gate, const T* up, const T* dy, T* dgate, T* dup, long long packs)
        {
            const int N = Pack16<T>::N;
            GRID_STRIDE(i, packs)
            {
                float g[N], u[N], d[N], dg[N], du[N];
                load16(gate, i, g);
                load16(up, i, u);
                load16(dy, i, d);
                for (int k = 0; k < N; k++)
                {
                    float s = round_to<T>(g[k] / (1.0f + expf(-g[k])));
                    du[k] = __fmul_rn(d[k], s);
                    float ds = round_to<T>(__fmul_rn(d[k], u[k]));
                    float sig = 1.0f / (1.0f + expf(-g[k]));
                    dg[k] = ds * sig * (1.0f + g[k] * (1.0f - sig));
                }
                store16(dgate, i, dg);
                store16(dup, i, du);
            }
        }

        #define ATHANOR_SWIGLU(SUFFIX, T) \
        extern "C" __global__ void swiglu_forward_packed_##SUFFIX(const T* gate, const T* up, T* y, long long packs) \
        { swiglu_forward_packed<T>(gate, up, y, packs); } \
        extern "C" __global__ void swiglu_backward_packed_##SUFFIX(const T* gate, const T* up, const T* dy, T* dgate, T* dup, long long packs) \
        { swiglu_backward_packed<T>(gate, up, dy, dgate, dup, packs); } \
        extern "C" __global__ void swiglu_forward_##SUFFIX(const T* gate, const T* up, T* y, long long n) \
        { swiglu_forward<T>(gate, up, y, n); } \
        extern "C" __global__ void swiglu_backward_##SUFFIX(const T* gate, const T* up, const T* dy, T* dgate, T* dup, long long n) \
        { swiglu_backward<T>(gate, up, dy, dgate, dup, n); }

        ATHANOR_SWIGLU(f32, float)
        ATHANOR_SWIGLU(bf16, bf16)
        """, ["swiglu_forward_f32", "swiglu_backward_f32", "swiglu_forward_bf16", "swiglu_backward_bf16",
            "swiglu_forward_packed_f32", "swiglu_backward_packed_f32", "swiglu_forward_packed_bf16", "swiglu_backward_packed_bf16"]);
}
