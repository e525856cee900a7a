using System.Text.RegularExpressions;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>The file names Hugging Face transformers gives a checkpoint: model.safetensors or numbered shards plus an index.</summary>
public static partial class SafetensorsFileNames
{
    public const string DefaultBaseName = "model";

    /// <summary>"model.safetensors"</summary>
    public static string Single(string baseName = DefaultBaseName) => baseName + ".safetensors";

    /// <summary>"model.safetensors.index.json"</summary>
    public static string Index(string baseName = DefaultBaseName) => baseName + ".safetensors.index.json";

    /// <summary>"model-00001-of-00003.safetensors" for the first of three (numbers from 1).</summary>
    public static string Shard(int number, int count, string baseName = DefaultBaseName) =>
        $"{baseName}-{number:D5}-of-{count:D5}.safetensors";

    /// <summary>Whether <paramref name="fileName"/> is a shard name for <paramref name="baseName"/> (any count).</summary>
    public static bool IsShard(string fileName, string baseName = DefaultBaseName) =>
        fileName.StartsWith(baseName + "-", StringComparison.Ordinal)
        && ShardSuffix().IsMatch(fileName.AsSpan(baseName.Length));

    [GeneratedRegex(@"^-\d{5}-of-\d{5}\.safetensors$", RegexOptions.CultureInvariant)]
    private static partial Regex ShardSuffix();
}
