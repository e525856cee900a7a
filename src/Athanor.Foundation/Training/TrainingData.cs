using Athanor.Data;

namespace Athanor.Training;

/// <summary>Tokenized train and validation samples, plus the padding id for batching.</summary>
public sealed record TrainingData(IReadOnlyList<TokenizedSample> Train, IReadOnlyList<TokenizedSample> Validation, int PadTokenId);
