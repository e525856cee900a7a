using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// A ZeRO-3 model built on the meta device: where its values come from and where its shards will live. The trainer
/// materializes it (<see cref="ParameterSharding.Materialize"/>) once it knows whether it resumes from a checkpoint.
/// </summary>
public sealed record DeferredWeights(IParameterSource Source, Device Device, ScalarType Dtype);
