using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text.Json;

namespace Athanor.Data.Pipeline;

/// <summary>A cache entry opened for reading: the samples are views of memory-mapped files, not copies.</summary>
public sealed record TokenCacheEntry(string Folder, TokenCacheMeta Meta, IReadOnlyList<TokenizedSample> Train, IReadOnlyList<TokenizedSample> Validation);

/// <summary>
/// The tokenized-dataset cache: one folder per key under a cache root (see <see cref="TokenCacheWriter"/> for the
/// layout). Opening checks meta.json, every file's size and SHA-256, and the offsets; any mismatch means the entry
/// is not used (the caller rebuilds it), never that wrong samples are trained on.
/// </summary>
public static class TokenCache
{
    public const string TokensFile = "tokens.bin", LabelsFile = "labels.bin", OffsetsFile = "offsets.bin", MetaFile = "meta.json";

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The entry for <paramref name="key"/>, or null with the reason it cannot be used ("absent" when there is none).</summary>
    /// <param name="verifyChecksums">false only for an entry this process has just written (its hashes were taken while writing).</param>
    public static TokenCacheEntry? TryOpen(string root, string key, out string problem, bool verifyChecksums = true)
    {
        var folder = Path.Combine(root, key);
        problem = "absent";
        if (!Directory.Exists(folder)) return null;
        try
        {
            var meta = JsonSerializer.Deserialize<TokenCacheMeta>(File.ReadAllBytes(Path.Combine(folder, MetaFile)), Json)
                ?? throw new InvalidDataException("meta.json is null");
            problem = Check(folder, key, meta, verifyChecksums) ?? "";
            if (problem.Length > 0) return null;
            var offsets = ReadOffsets(Path.Combine(folder, OffsetsFile), meta.TrainSamples + meta.ValidationSamples, meta.Tokens, out problem);
            if (offsets is null) return null;
            var samples = MappedSamples.Open(Path.Combine(folder, TokensFile), Path.Combine(folder, LabelsFile), offsets);
            return new TokenCacheEntry(folder, meta, samples.Slice(0, meta.TrainSamples), samples.Slice(meta.TrainSamples, meta.ValidationSamples));
        }
        catch (Exception ex) when (ex is IOException or JsonException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            problem = ex.Message;
            return null;
        }
    }

    /// <summary>Removes an unusable entry so it can be rebuilt (it is first renamed aside, so no reader sees half of it).</summary>
    public static void Discard(string root, string key)
    {
        var folder = Path.Combine(root, key);
        var aside = Path.Combine(root, $".{key}.discarded-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(folder, aside);
            Directory.Delete(aside, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string? Check(string folder, string key, TokenCacheMeta meta, bool verifyChecksums)
    {
        if (meta.Format != TokenCacheMeta.CurrentFormat) return $"format {meta.Format}, expected {TokenCacheMeta.CurrentFormat}";
        if (meta.Key != key) return $"meta.json names key {meta.Key}";
        if (meta.TrainSamples < 0 || meta.ValidationSamples < 0 || meta.Tokens < 0) return "negative counts in meta.json";
        var expected = new Dictionary<string, long>
        {
            [TokensFile] = meta.Tokens * 4,
            [LabelsFile] = meta.Tokens * 4,
            [OffsetsFile] = (meta.TrainSamples + (long)meta.ValidationSamples + 1) * 8,
        };
        foreach (var (name, bytes) in expected)
        {
            var path = Path.Combine(folder, name);
            if (!meta.Files.TryGetValue(name, out var recorded)) return $"meta.json does not list {name}";
            var length = File.Exists(path) ? new FileInfo(path).Length : -1;
            if (length != bytes || recorded.Bytes != bytes) return $"{name} has {length} bytes, expected {bytes}";
            if (verifyChecksums && Sha256(path) != recorded.Sha256) return $"{name} does not match its SHA-256";
        }
        return null;
    }

    private static long[]? ReadOffsets(string path, int samples, long tokens, out string problem)
    {
        var bytes = File.ReadAllBytes(path);
        var offsets = new long[samples + 1];
        Buffer.BlockCopy(bytes, 0, offsets, 0, bytes.Length);
        problem = "";
        if (offsets[0] != 0 || offsets[^1] != tokens) problem = "offsets do not span the token stream";
        for (int i = 1; i < offsets.Length && problem.Length == 0; i++)
            if (offsets[i] < offsets[i - 1]) problem = $"offset {i} goes backwards";
        return problem.Length == 0 ? offsets : null;
    }

    private static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
