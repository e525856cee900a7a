namespace Athanor.Kernels;

/// <summary>
/// One AdamW step over one parameter slot, in ZeroAdamW's (torch's) order of fp32 operations, each op
/// rounded as torch's separate kernels round it (explicit _rn intrinsics, so the compiler fuses nothing
/// torch does not): g *= scale; p -= p*(lr*wd); m = m*b1 + (1-b1)*g; v = v*b2 + (1-b2)*g*g;
/// denom = sqrt(v)*(1/sqrt(bc2)) + eps; p += (-lr/bc1) * m/denom; then the model parameter = p in its dtype.
/// </summary>
public static class AdamWSource
{
    public static readonly KernelSource Source = new("athanor_adamw", """
        template <typename G, typename P>
        __device__ void adamw_step(float* master, float* exp_avg, float* exp_avg_sq, const G* grad, P* param, long long n,
                                   float lr_wd, float beta1, float one_minus_beta1, float beta2, float one_minus_beta2,
                                   float inv_bc2_sqrt, float eps, float step_size, float grad_scale)
        {
            GRID_STRIDE(i, n)
            {
                float g = grad ? to_f(grad[i]) : 0.0f;
                if (grad_scale != 1.0f) g = __fmul_rn(g, grad_scale);
                float p = master[i];
                if (lr_wd != 0.0f) p = __fsub_rn(p, __fmul_rn(p, lr_wd));
                float m = __fmaf_rn(one_minus_beta1, g, __fmul_rn(exp_avg[i], beta1));
                float v = __fmaf_rn(one_minus_beta2, __fmul_rn(g, g), __fmul_rn(exp_avg_sq[i], beta2));
                float denom = __fadd_rn(__fmul_rn(__fsqrt_rn(v), inv_bc2_sqrt), eps);
                p = __fmaf_rn(step_size, __fdiv_rn(m, denom), p);
                exp_avg[i] = m;
                exp_avg_sq[i] = v;
                master[i] = p;
                param[i] = from_f<P>(p);
            }
        }

        #define ATHANOR_ADAMW(SUFFIX, G, P) \
        extern "C" __global__ void adamw_step_##SUFFIX(float* master, float* exp_avg, float* exp_avg_sq, const G* grad, P* param, \
            long long n, float lr_wd, float beta1, float one_minus_beta1, float beta2, float one_minus_beta2, float inv_bc2_sqrt, \
            float eps, float step_size, float grad_scale) \
        { adamw_step<G, P>(master, exp_avg, exp_avg_sq, grad, param, n, lr_wd, beta1, one_minus_beta1, beta2, one_minus_beta2, \
                           inv_bc2_sqrt, eps, step_size, grad_scale); }

        ATHANOR_ADAMW(g_f32_p_f32, float, float)
        ATHANOR_ADAMW(g_f32_p_bf16, float, bf16)
        ATHANOR_ADAMW(g_bf16_p_f32, bf16, float)
        ATHANOR_ADAMW(g_bf16_p_bf16, bf16, bf16)
        """, ["adamw_step_g_f32_p_f32", "adamw_step_g_f32_p_bf16", "adamw_step_g_bf16_p_f32", "adamw_step_g_bf16_p_bf16"]);
}
