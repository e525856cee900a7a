using Athanor.Kernels;

namespace Athanor.Fp8;

/// <summary>
/// The fp8 cast kernels (NVRTC, on torch's stream): amax of a tensor folded into a per-call and a per-step slot, then
/// each element times scale = fp8_max / amax cast with the hardware's round-to-nearest-even, saturating conversion
/// (PTX cvt.rn.satfinite.e4m3x2/e5m2x2, sm_89 and newer). The scale arithmetic is float32 and rounded like the pure
/// reference's (<see cref="Fp8Scaling"/>), so the codes equal <see cref="Fp8Format.Encode"/>'s.
/// </summary>
public static class Fp8CastSource
{
    public static readonly KernelSource Source = new("fp8_cast", """
        // Largest |x| as float bits: for non-negative floats (NaN made positive by fabsf) integer order is float order,
        // with NaN above +inf, so an overflow always wins the max.
        template <typename T>
        __device__ __forceinline__ void fp8_amax(const T* x, long long n, unsigned int* call_amax, unsigned int* step_amax)
        {
            unsigned int m = 0u;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
                m = max(m, __float_as_uint(fabsf(to_f(x[i]))));
            for (int offset = 16; offset > 0; offset >>= 1) m = max(m, __shfl_xor_sync(0xffffffffu, m, offset));
            if ((threadIdx.x & 31) == 0 && m != 0u) { atomicMax(call_amax, m); atomicMax(step_amax, m); }
        }

        extern "C" __global__ void fp8_amax_f32(const float* x, long long n, unsigned int* call_amax, unsigned int* step_amax)
        { fp8_amax(x, n, call_amax, step_amax); }
        extern "C" __global__ void fp8_amax_bf16(const bf16* x, long long n, unsigned int* call_amax, unsigned int* step_amax)
        { fp8_amax(x, n, call_amax, step_amax); }

        // fp8_max / amax; 1 for an all-zero tensor or an overflowed one (that step is skipped); capped at FLT_MAX.
        __device__ __forceinline__ float fp8_scale(const unsigned int* amax_bits, float fp8_max)
        {
            float a = __uint_as_float(*amax_bits);
            if (!(a > 0.0f) || isinf(a) || isnan(a)) return 1.0f;
            float s = __fdiv_rn(fp8_max, a);
            return isinf(s) ? 3.402823466e38f : s;
        }

        template <typename T, bool E5M2>
        __device__ __forceinline__ void fp8_cast(const T* x, unsigned char* out, long long n, const unsigned int* amax_bits, float fp8_max, float* inverse_scale)
        {
        #if __CUDA_ARCH__ >= 890
            float s = fp8_scale(amax_bits, fp8_max);
            if (blockIdx.x == 0 && threadIdx.x == 0) *inverse_scale = __frcp_rn(s);
            long long pairs = (n + 1) / 2;
            for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < pairs; p += (long long)gridDim.x * blockDim.x)
            {
                long long i = 2 * p;
                float lo = __fmul_rn(to_f(x[i]), s);
                float hi = i + 1 < n ? __fmul_rn(to_f(x[i + 1]), s) : 0.0f;
                unsigned short packed;
                // d = {cvt(hi) in the upper byte, cvt(lo) in the lower}.
                if (E5M2) asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(packed) : "f"(hi), "f"(lo));
                else asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(packed) : "f"(hi), "f"(lo));
                out[i] = (unsigned char)(packed & 0xffu);
                if (i + 1 < n) out[i + 1] = (unsigned char)(packed >> 8);
            }
        #else
            __trap(); // fp8 conversions need sm_89; Fp8Support refuses older GPUs before any launch
        #endif
        }

        extern "C" __global__ void fp8_cast_e4m3_f32(const float* x, unsigned char* out, long long n, const unsigned int* amax, float fp8_max, float* inv)
        { fp8_cast<float, false>(x, out, n, amax, fp8_max, inv); }
        extern "C" __global__ void fp8_cast_e4m3_bf16(const bf16* x, unsigned char* out, long long n, const unsigned int* amax, float fp8_max, float* inv)
        { fp8_cast<bf16, false>(x, out, n, amax, fp8_max, inv); }
        extern "C" __global__ void fp8_cast_e5m2_f32(const float* x, unsigned char* out, long long n, const unsigned int* amax, float fp8_max, float* inv)
        { fp8_cast<float, true>(x, out, n, amax, fp8_max, inv); }
        extern "C" __global__ void fp8_cast_e5m2_bf16(const bf16* x, unsigned char* out, long long n, const unsigned int* amax, float fp8_max, float* inv)
        { fp8_cast<bf16, true>(x, out, n, amax, fp8_max, inv); }
        """,
        ["fp8_amax_f32", "fp8_amax_bf16", "fp8_cast_e4m3_f32", "fp8_cast_e4m3_bf16", "fp8_cast_e5m2_f32", "fp8_cast_e5m2_bf16"]);
}
