namespace Athanor.Tests.Inference;

/// <summary>
/// Test classes that build models (whose construction draws from libtorch's global generator) run here, apart from
/// the parallel ones, so they never shift the seeded random stream that the training-resume tests compare exactly.
/// </summary>
[CollectionDefinition(nameof(TorchRngCollection), DisableParallelization = true)]
public sealed class TorchRngCollection;
