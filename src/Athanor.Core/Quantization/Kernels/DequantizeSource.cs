using Athanor.Kernels;

namespace Athanor.Quantization;

/// <summary>
/// 4-bit dequantization as one kernel: each thread decodes whole bytes (two elements of one block: blocks are even),
/// scale = the block's absmax (or, double-quantized, nested_code[q] * nested_absmax + offset, rounded after the product
/// and after the sum as bitsandbytes' two steps are), value = code[nibble] * scale in float32, rounded once to T.
/// </summary>
public static class DequantizeSource
{
    public static readonly KernelSource Source = new("athanor_dequant4", """
        template <typename T>
        __device__ void dequant4(const unsigned char* packed, const float* code, const float* absmax,
                                 const unsigned char* qscale, const float* ncode, const float* nabsmax, float offset,
                                 int nested, int block, int nblock, T* out, long long n)
        {
            __shared__ float book[16];
            if (threadIdx.x < 16) book[threadIdx.x] = code[threadIdx.x];
            __syncthreads();
            long long bytes = (n + 1) / 2;
            GRID_STRIDE(i, bytes)
            {
                long long e = 2 * i;
                long long b = e / block;
                float s = nested ? __fadd_rn(__fmul_rn(ncode[qscale[b]], nabsmax[b / nblock]), offset) : absmax[b];
                unsigned char v = packed[i];
                out[e] = from_f<T>(__fmul_rn(book[v >> 4], s));
                if (e + 1 < n) out[e + 1] = from_f<T>(__fmul_rn(book[v & 15], s));
            }
        }

        #define ATHANOR_DEQUANT4(SUFFIX, T) \
        extern "C" __global__ void dequant4_##SUFFIX(const unsigned char* packed, const float* code, const float* absmax, \
            const unsigned char* qscale, const float* ncode, const float* nabsmax, float offset, int nested, int block, int nblock, \
            T* out, long long n) \
        { dequant4<T>(packed, code, absmax, qscale, ncode, nabsmax, offset, nested, block, nblock, out, n); }

        ATHANOR_DEQUANT4(f32, float)
        ATHANOR_DEQUANT4(bf16, bf16)
        """, ["dequant4_f32", "dequant4_bf16"]);
}
