using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Athanor.Checkpoints.Safetensors;
using Athanor.IO;
using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Checkpoints;

/// <summary>
/// Optimizer state in a checkpoint, independent of world size: each rank writes its slice of the logical
/// flat exp_avg / exp_avg_sq vectors (optimizer-RRRRR-of-NNNNN.safetensors) and rank 0 writes
/// optimizer_layout.json, which maps parameters to flat ranges and files to slices. Any world size and
/// ZeRO stage can read any range back. Runs whose parameters are bf16 also save the fp32 master weights
/// ("master"), so a resumed run continues from the exact values rather than their bf16 rounding.
/// </summary>
public static class OptimizerState
{
    public const string LayoutFile = "optimizer_layout.json";
    public const string Format = "athanor-optimizer/1";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PartFile(int part, int parts) =>
        string.Create(CultureInfo.InvariantCulture, $"optimizer-{part:D5}-of-{parts:D5}.safetensors");

    public static void WriteSlice(string folder, OptimizerSlice slice, int part, int parts)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["start"] = slice.Start.ToString(CultureInfo.InvariantCulture),
            ["length"] = slice.Length.ToString(CultureInfo.InvariantCulture),
        };
        var tensors = new List<KeyValuePair<string, Tensor>> { new("exp_avg", slice.ExpAvg), new("exp_avg_sq", slice.ExpAvgSq) };
        if (slice.Master is Tensor master) tensors.Add(new("master", master));
        SafetensorsWriter.Write(Path.Combine(folder, PartFile(part, parts)), tensors, meta);
    }

    public static void WriteLayout(string folder, FlatLayout layout, IReadOnlyList<(long Start, long Length)> parts) =>
        WriteLayout(folder, layout, parts.Select((p, i) => new LayoutPart(PartFile(i, parts.Count), p.Start, p.Length)).ToList());

    /// <summary>The layout with parts as given (ZeRO-3's parts carry segments).</summary>
    public static void WriteLayout(string folder, FlatLayout layout, IReadOnlyList<LayoutPart> parts)
    {
        var doc = new LayoutDocument(Format, layout.Length,
            layout.Slots.Select(s => new LayoutParameter(s.Name, s.Offset, s.Length, s.Shape)).ToList(), parts);
        DurableFile.WriteAllText(Path.Combine(folder, LayoutFile), JsonSerializer.Serialize(doc, Json));
    }

    /// <summary>Opens a checkpoint's optimizer state for reading ranges; checks it belongs to the same model layout.</summary>
    public static Reader Open(string folder, FlatLayout expected)
    {
        var path = Path.Combine(folder, LayoutFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{folder}: {LayoutFile} is missing: not an optimizer checkpoint of this version");
        var doc = JsonSerializer.Deserialize<LayoutDocument>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty");
        if (doc.Format != Format) throw new InvalidDataException($"{path}: format '{doc.Format}', expected {Format}");
        if (doc.Parameters.Count != expected.Slots.Count || doc.Length != expected.Length)
            throw new InvalidDataException($"{folder}: the optimizer state covers {doc.Parameters.Count} trainable tensors ({doc.Length:N0} values), " +
                $"this model has {expected.Slots.Count} ({expected.Length:N0}): the checkpoint is from an incompatible model or fine-tuning type");
        for (int i = 0; i < doc.Parameters.Count; i++)
        {
            var (saved, slot) = (doc.Parameters[i], expected.Slots[i]);
            if (saved.Name != slot.Name || saved.Offset != slot.Offset || saved.Length != slot.Length)
                throw new InvalidDataException($"{folder}: optimizer state for '{saved.Name}' ({saved.Length} values) does not match this model's '{slot.Name}' ({slot.Length}): incompatible checkpoint");
        }
        return new Reader(folder, doc.Parts);
    }

    public sealed class Reader(string folder, IReadOnlyList<LayoutPart> parts)
    {
        /// <summary>Whether every part holds the named vector (fp32 master weights are only saved by bf16 runs).</summary>
        public bool Has(string name) => parts.All(part =>
        {
            using var file = SafetensorsFile.Open(Path.Combine(folder, part.File));
            return file.Contains(name);
        });

        /// <summary>
        /// Values [start, start + destination's length) of the named logical vector, written straight into destination
        /// (a contiguous 1-D tensor on any device), read from the files piece by piece with no full-size host copy.
        /// </summary>
        public void ReadRangeInto(string name, long start, Tensor destination)
        {
            long length = destination.numel(), covered = 0;
            foreach (var part in parts)
            {
                var overlapping = part.Pieces().Where(g => Math.Max(start, g.Start) < Math.Min(start + length, g.Start + g.Length)).ToList();
                if (overlapping.Count == 0) continue;
                using var file = SafetensorsFile.Open(Path.Combine(folder, part.File));
                foreach (var g in overlapping)
                {
                    long from = Math.Max(start, g.Start), to = Math.Min(start + length, g.Start + g.Length);
                    using var dst = destination.narrow(0, from - start, to - from);
                    file.CopyInto(name, g.FileOffset + from - g.Start, dst);
                    covered += to - from;
                }
            }
            if (covered != length)
                throw new InvalidDataException($"{folder}: optimizer files cover {covered} of the {length} values asked for at {start}: a part is missing");
        }
    }

    public sealed record LayoutDocument(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("parameters")] IReadOnlyList<LayoutParameter> Parameters,
        [property: JsonPropertyName("parts")] IReadOnlyList<LayoutPart> Parts);

    public sealed record LayoutParameter(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("offset")] long Offset,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("shape")] long[] Shape);

    /// <summary>
    /// One file. Without segments it holds [Start, Start + Length) of the logical vectors from its first element;
    /// with segments (ZeRO-3: one share per unit) each segment says which logical range sits at which offset.
    /// </summary>
    public sealed record LayoutPart(
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("start")] long Start,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("segments"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LayoutSegment>? Segments = null)
    {
        public IEnumerable<LayoutSegment> Pieces() => Segments ?? [new LayoutSegment(Start, Length, 0)];
    }

    /// <summary>Logical values [Start, Start + Length) stored from element FileOffset of the part's vectors.</summary>
    public sealed record LayoutSegment(
        [property: JsonPropertyName("start")] long Start,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("file_offset")] long FileOffset);
}
