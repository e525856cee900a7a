using Athanor.Data;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>Samples padded on the right to the longest one, as input_ids and labels tensors.</summary>
public sealed class MicroBatch : IDisposable
{
    private MicroBatch(Tensor inputIds, Tensor labels, long tokens)
    {
        InputIds = inputIds;
        Labels = labels;
        Tokens = tokens;
    }

    public Tensor InputIds { get; }
    public Tensor Labels { get; }
    /// <summary>Real (non-padding) tokens in the batch.</summary>
    public long Tokens { get; }

    public static MicroBatch Build(IReadOnlyList<TokenizedSample> samples, int padId, Device device)
    {
        int width = Math.Max(2, samples.Max(s => s.Length));
        var ids = new long[samples.Count * width];
        var labels = new long[samples.Count * width];
        long tokens = 0;
        for (int r = 0; r < samples.Count; r++)
        {
            var s = samples[r];
            int row = r * width;
            for (int i = 0; i < width; i++)
            {
                bool real = i < s.Length;
                ids[row + i] = real ? s.InputIds[i] : padId;
                labels[row + i] = real ? s.Labels[i] : TokenizedSample.IgnoreIndex;
            }
            tokens += s.Length;
        }
        var idsTensor = tensor(ids, [samples.Count, width]).to(device);
        var labelsTensor = tensor(labels, [samples.Count, width]).to(device);
        return new MicroBatch(idsTensor, labelsTensor, tokens);
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
    }
}
