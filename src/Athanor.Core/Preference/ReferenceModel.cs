using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Athanor.Data;
using Athanor.IO;
using Athanor.Lora;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Preference;

/// <summary>Where a preference loss's reference log-probabilities come from (summed over each sequence's targets, detached).</summary>
public interface IReferenceModel
{
    /// <summary>The reference's summed log-probabilities of the batch's rows (the same batch the policy scored).</summary>
    /// <param name="rows">the preference rows the batch was built from, in order</param>
    Tensor Logps(IReadOnlyList<TokenizedSample> rows, Tensor inputIds, Tensor labels);
}

/// <summary>
/// LoRA's reference: the same model with every adapter switched off for one no-grad forward, so the reference is the
/// frozen base and costs no memory (LLaMA-Factory's disable_adapter context).
/// </summary>
public sealed class AdaptersOffReference(CausalLM model) : IReferenceModel
{
    public Tensor Logps(IReadOnlyList<TokenizedSample> rows, Tensor inputIds, Tensor labels)
    {
        var adapted = LoraModel.Adapters(model).Select(a => a.Projection).ToList();
        if (adapted.Count == 0) throw new InvalidOperationException("the adapters-off reference needs a LoRA model");
        using var _ = no_grad();
        foreach (var p in adapted) p.AdapterEnabled = false;
        try
        {
            using var scores = SequenceScores.Of(model, inputIds, labels);
            return scores.Logps.detach().clone();
        }
        finally
        {
            foreach (var p in adapted) p.AdapterEnabled = true;
        }
    }
}

/// <summary>
/// Full fine-tuning's reference: the log-probabilities of every training row under the starting weights, computed once
/// in a first pass before step 1 (so the training pass holds one model) and written to OUTPUT_DIR/reference_logps.bin,
/// which a resumed run reads instead (its weights are no longer the starting ones). Rows are found by their tokens.
/// </summary>
public sealed class PrecomputedReference : IReferenceModel
{
    public const string FileName = "reference_logps.bin";

    private readonly Dictionary<string, (float First, float Second)> _byRow;

    private PrecomputedReference(Dictionary<string, (float, float)> byRow) => _byRow = byRow;

    public int Count => _byRow.Count;

    /// <summary>Scores every row with the model as it is now (every rank runs the same batches, as ZeRO-3's gathers need).</summary>
    public static PrecomputedReference Compute(CausalLM model, IReadOnlyList<TokenizedSample> rows, int padId, int batchSize, Device device)
    {
        var byRow = new Dictionary<string, (float, float)>(StringComparer.Ordinal);
        using var _ = no_grad();
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = Enumerable.Range(start, Math.Min(batchSize, rows.Count - start)).Select(i => rows[i]).ToList();
            var (sequences, n) = PreferenceBatch.Sequences(chunk);
            using var batch = Training.MicroBatch.Build(sequences, padId, device);
            using var scores = SequenceScores.Of(model, batch.InputIds, batch.Labels);
            var logps = scores.Logps.to_type(ScalarType.Float32).cpu().data<float>().ToArray();
            for (int i = 0; i < n; i++) byRow[Key(chunk[i])] = (logps[i], logps[n + i]);
        }
        return new PrecomputedReference(byRow);
    }

    /// <summary>Writes the table (the leader, once): count, then per row its key and two log-probabilities.</summary>
    public void Save(string outputDir)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(_byRow.Count);
            foreach (var (key, (first, second)) in _byRow.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                writer.Write(key);
                writer.Write(first);
                writer.Write(second);
            }
        }
        DurableFile.WriteAllBytes(Path.Combine(outputDir, FileName), stream.ToArray());
    }

    /// <summary>The table a first run saved; null when there is none.</summary>
    public static PrecomputedReference? Load(string outputDir)
    {
        var path = Path.Combine(outputDir, FileName);
        if (!File.Exists(path)) return null;
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = reader.ReadInt32();
        var byRow = new Dictionary<string, (float, float)>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++) byRow[reader.ReadString()] = (reader.ReadSingle(), reader.ReadSingle());
        return new PrecomputedReference(byRow);
    }

    public Tensor Logps(IReadOnlyList<TokenizedSample> rows, Tensor inputIds, Tensor labels)
    {
        var values = new float[rows.Count * 2];
        for (int i = 0; i < rows.Count; i++)
        {
            if (!_byRow.TryGetValue(Key(rows[i]), out var pair))
                throw new InvalidOperationException($"a training row of {rows[i].Length} tokens has no precomputed reference log-probabilities ({FileName} is from other data)");
            (values[i], values[rows.Count + i]) = pair;
        }
        return tensor(values).to(inputIds.device);
    }

    private static string Key(TokenizedSample row) =>
        Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(row.InputIds.AsSpan())), 0, 16) + ":" +
        Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(row.Labels.AsSpan())), 0, 8);
}
