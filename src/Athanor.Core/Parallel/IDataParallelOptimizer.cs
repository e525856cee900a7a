using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// What the trainer asks of its data-parallel AdamW, whatever the ZeRO stage: reduce and clip the step's
/// gradients, update, and save or load its state as world-size-independent slices of the logical flat vectors.
/// </summary>
public interface IDataParallelOptimizer : IDisposable
{
    int Stage { get; }

    /// <summary>Optimizer steps taken (the bias-correction clock).</summary>
    long StepCount { get; set; }

    /// <summary>
    /// Synchronizes this step's gradients across ranks, clips them to maxNorm by global L2 norm (if &gt; 0) and
    /// returns the norm before clipping as a device scalar; read it after <see cref="Step"/>.
    /// </summary>
    Tensor SyncAndClipGradientsDeferred(double maxNorm);

    void Step(double lr);

    void ZeroGrad();

    /// <summary>Makes every rank's parameters equal to rank 0's (start of a run that does not resume).</summary>
    void BroadcastParameters();

    /// <summary>Writes this rank's part of the state into a checkpoint folder (the leader also writes the layout).</summary>
    void SaveState(string folder);

    /// <summary>Loads this rank's part from a checkpoint saved at any world size and stage; the parameters are already loaded.</summary>
    void LoadState(string folder, long stepCount);
}
