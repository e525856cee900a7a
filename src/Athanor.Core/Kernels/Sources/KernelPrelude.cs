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

        // 16-byte packs for vectorized elementwise kernels: 8 bf16 or 4 float values per load and store.
        template <typename T> struct Pack16 { static const int N = 16 / sizeof(T); };
        __device__ __forceinline__ void unpack16(uint4 raw, float* out, float)
        {
            out[0] = __uint_as_float(raw.x); out[1] = __uint_as_float(raw.y);
            out[2] = __uint_as_float(raw.z); out[3] = __uint_as_float(raw.w);
        }
        __device__ __forceinline__ void unpack16(uint4 raw, float* out, bf16)
        {
            unsigned int w[4] = { raw.x, raw.y, raw.z, raw.w };
            for (int k = 0; k < 4; k++) { out[2 * k] = __uint_as_float(w[k] << 16); out[2 * k + 1] = __uint_as_float(w[k] & 0xffff0000u); }
        }
        __device__ __forceinline__ uint4 pack16(const float* v, float)
        {
            return make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]), __float_as_uint(v[2]), __float_as_uint(v[3]));
        }
        __device__ __forceinline__ uint4 pack16(const float* v, bf16)
        {
            unsigned int w[4];
            for (int k = 0; k < 4; k++) w[k] = (unsigned int)from_f<bf16>(v[2 * k]) | ((unsigned int)from_f<bf16>(v[2 * k + 1]) << 16);
            return make_uint4(w[0], w[1], w[2], w[3]);
        }
        template <typename T> __device__ __forceinline__ void load16(const T* p, long long pack, float* out)
        { unpack16(reinterpret_cast<const uint4*>(p)[pack], out, T()); }
        template <typename T> __device__ __forceinline__ void store16(T* p, long long pack, const float* v)
        { reinterpret_cast<uint4*>(p)[pack] = pack16(v, T()); }

        #define GRID_STRIDE(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)
        """;
}
