namespace Athanor.Kernels;

/// <summary>Helpers every kernel source starts with: bf16 as bits, rounding to a storage type, block sums.</summary>
public static class KernelPrelude
{
    public const string Code = """
        // bf16 is carried as its 16 bits: the upper half of an IEEE float.
        typedef unsigned short bf16;

        __device__ __forceinline__ float to_f(float v) { return v; }
        __device__ __forceinline__ float to_f(bf16 v) { return __uint_as_float(((unsigned int)v) << 16); }

        template <typename T> __device__ __forceinline__ T from_f(float v);
        template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
        template <> __device__ __forceinline__ bf16 from_f<bf16>(float v)
        {
            unsigned int u = __float_as_uint(v);
            // NaN stays NaN: keep sign and upper payload, force the quiet bit so truncation cannot make it inf.
            if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x0040u);
            // Round to nearest, ties to even (infinities and overflow to inf come out right too).
            u += 0x7fffu + ((u >> 16) & 1u);
            return (bf16)(u >> 16);
        }

        // The value a tensor of type T holds after torch writes v into it.
        template <typename T> __device__ __forceinline__ float round_to(float v) { return to_f(from_f<T>(v)); }

        __device__ __forceinline__ float warp_sum(float v)
        {
            for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
            return v;
        }

        // Sum over the block, returned to every thread. blockDim.x: a multiple of 32, at most 1024.
        // scratch: 32 floats of shared memory, reusable once this returns.
        __device__ __forceinline__ float block_sum(float v, float* scratch)
        {
            int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
            v = warp_sum(v);
            if (lane == 0) scratch[warp] = v;
            __syncthreads();
            if (warp == 0)
            {
                v = threadIdx.x < (blockDim.x >> 5) ? scratch[lane] : 0.0f;
                v = warp_sum(v);
                if (lane == 0) scratch[0] = v;
            }
            __syncthreads();
            float total = scratch[0];
            __syncthreads();
            return total;
        }

        #define GRID_STRIDE(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)
        """;
}
