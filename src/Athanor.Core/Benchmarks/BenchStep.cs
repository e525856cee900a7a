using Athanor.Models;
using Athanor.Parallel;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>One training step of the benchmark, split in phases so the profiler can time each.</summary>
internal sealed class BenchStep(CausalLM model, IDataParallelOptimizer optimizer, int vocab, BenchOptions o, Device device, Generator gen)
{
    public double LastLoss { get; private set; }

    private Tensor? _loss, _tokens, _inUse;

    /// <summary>
    /// Puts the next step's tokens on the device. A copy from pageable host memory waits for the stream to
    /// drain, so the profiler does it before queueing busy work.
    /// </summary>
    public void PrepareTokens()
    {
        _tokens?.Dispose();
        _tokens = randint(0, vocab, [o.Batch, o.Seq + 1], generator: gen).to(device).DetachFromDisposeScope();
    }

    /// <summary>A whole step; the loss and norm are read only after everything is queued.</summary>
    public void Run()
    {
        using var scope = NewDisposeScope();
        Forward();
        Backward();
        using var norm = Optimize();
        LastLoss = _loss!.item<float>();
    }

    public void Forward()
    {
        if (_tokens is null) PrepareTokens();
        _inUse?.Dispose();
        var tokens = _inUse = _tokens!;
        _tokens = null;
        var input = tokens.narrow(1, 0, o.Seq);
        var target = tokens.narrow(1, 1, o.Seq).reshape(-1);
        var hidden = model.Hidden(input);
        _loss = o.ChunkedLoss
            ? LmHeadCrossEntropy.Sum(hidden.reshape(-1, hidden.shape[^1]), model.OutputWeight, target, -100) / target.shape[0]
            : nn.functional.cross_entropy(model.Logits(hidden).to_type(ScalarType.Float32).reshape(-1, vocab), target);
    }

    public void Backward()
    {
        (optimizer as ZeroAdamW)?.ArmForLastMicroBatch(); // one micro-batch per step: its gradients are final
        _loss!.backward();
        BackwardResults.Release();
        BackwardResults.ThrowIfFailed();
    }

    public Tensor Optimize()
    {
        var norm = optimizer.SyncAndClipGradientsDeferred(1.0);
        optimizer.Step(3e-4);
        optimizer.ZeroGrad();
        return norm;
    }
}
