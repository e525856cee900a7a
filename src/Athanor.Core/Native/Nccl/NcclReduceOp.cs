namespace Athanor.Native.Nccl;

/// <summary>ncclRedOp_t's built-in operations, values as in nccl.h (Avg needs NCCL 2.10 or later).</summary>
public enum NcclReduceOp
{
    Sum = 0,
    Prod = 1,
    Max = 2,
    Min = 3,
    Avg = 4,
}
