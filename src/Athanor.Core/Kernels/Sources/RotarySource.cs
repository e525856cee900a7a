namespace Athanor.Kernels;

/// <summary>
/// Rotary embedding in transformers' rotate-half convention on x [B, H, T, D] (any strides over B, H, T;
/// D contiguous) with cos/sin [T, D] contiguous; the output is contiguous [B, H, T, D]. One thread per
/// pair (j, j + D/2). Backward is the transposed (inverse) rotation. Products are rounded to the storage
/// type before the sum, as the unfused x*cos + rotate_half(x)*sin stores them.
/// </summary>
public static class RotarySource
{
    public static readonly KernelSource Source = new("athanor_rotary", """
        template <typename T>
        __device__ void rotary(const T* x, const T* cosine, const T* sine, T* y, long long rows, int heads, int seq, int dim,
                               long long stride_b, long long stride_h, long long stride_t, int backward)
        {
            int half = dim >> 1;
            GRID_STRIDE(i, rows * half)
            {
                long long row = i / half;
                int j = (int)(i - row * half);
                int t = (int)(row % seq);
                long long bh = row / seq;
                long long h = bh % heads, b = bh / heads;
                const T* xr = x + b * stride_b + h * stride_h + (long long)t * stride_t;
                const T* cr = cosine + (long long)t * dim;
                const T* sr = sine + (long long)t * dim;
                T* yr = y + row * dim;
                float x1 = to_f(xr[j]), x2 = to_f(xr[j + half]);
                float c1 = to_f(cr[j]), c2 = to_f(cr[j + half]), s1 = to_f(sr[j]), s2 = to_f(sr[j + half]);
                if (!backward)
                {
                    yr[j] = from_f<T>(round_to<T>(__fmul_rn(x1, c1)) - round_to<T>(__fmul_rn(x2, s1)));
                    yr[j + half] = from_f<T>(round_to<T>(__fmul_rn(x2, c2)) + round_to<T>(__fmul_rn(x1, s2)));
                }
                else
                {
                    // x holds dy here: dx1 = dy1*c1 + dy2*s2, dx2 = dy2*c2 - dy1*s1.
                    yr[j] = from_f<T>(round_to<T>(__fmul_rn(x1, c1)) + round_to<T>(__fmul_rn(x2, s2)));
                    yr[j + half] = from_f<T>(round_to<T>(__fmul_rn(x2, c2)) - round_to<T>(__fmul_rn(x1, s1)));
                }
            }
        }

        #define ATHANOR_ROTARY(SUFFIX, T) \
        extern "C" __global__ void rotary_##SUFFIX(const T* x, const T* cosine, const T* sine, T* y, long long rows, int heads, \
                                                   int seq, int dim, long long stride_b, long long stride_h, long long stride_t, int backward) \
        { rotary<T>(x, cosine, sine, y, rows, heads, seq, dim, stride_b, stride_h, stride_t, backward); }

        ATHANOR_ROTARY(f32, float)
        ATHANOR_ROTARY(bf16, bf16)
        """, ["rotary_f32", "rotary_bf16"]);
}
