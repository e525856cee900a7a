namespace Athanor.Training;

/// <summary>
/// The chunk size of the LM-head loss (Athanor.Core's LmHeadCrossEntropy), here so the memory planner, which does
/// not load TorchSharp, prices the same chunk the loss uses.
/// </summary>
public static class LmHeadChunk
{
    /// <summary>fp32 logits of one chunk stay under this many elements (64M = 256 MB).</summary>
    public const long Elements = 64L << 20;
}
