namespace Athanor.Estimation;

/// <summary>The moments of a training step the planner sizes; the largest is the step's peak.</summary>
public enum PeakPhase
{
    /// <summary>End of forward: all stored activations plus the chunked loss's gradients and one chunk's logits.</summary>
    Loss,
    /// <summary>Backward of the last decoder layer: stored activations (and, with checkpointing, that layer recomputed) plus its backward temporaries.</summary>
    BackwardFirstLayer,
    /// <summary>Backward of the first decoder layer: the gradients every other layer handed back are still referenced.</summary>
    BackwardLastLayer,
    /// <summary>The optimizer step: activations are gone, the unfused path's temporaries are not.</summary>
    OptimizerStep,
}

/// <summary>Bytes on one GPU at one phase, split into stored activations and transient working memory.</summary>
public sealed record PhaseBytes(PeakPhase Phase, double ActivationBytes, double WorkingBytes);
