using System.Text.Json;
using System.Text.RegularExpressions;

namespace Athanor.Configuration;

/// <summary>
/// Reads the ZeRO stage out of a LLaMA-Factory <c>deepspeed:</c> setting, the only part of a
/// DeepSpeed config Athanor uses: from the JSON when the file exists, else from a ds_zN file name.
/// </summary>
internal static partial class DeepSpeedStage
{
    /// <summary>The stage, or null when the file is missing and its name does not say (ds_z0 .. ds_z3).</summary>
    /// <param name="resolvedPath">The path resolved against the working folder.</param>
    /// <param name="entry">The deepspeed entry, for error messages.</param>
    public static int? Infer(string resolvedPath, RawEntry entry)
    {
        if (File.Exists(resolvedPath))
            return ReadJson(resolvedPath, entry);
        var match = StageInName().Match(Path.GetFileName(resolvedPath));
        return match.Success ? match.Groups[1].Value[0] - '0' : null;
    }

    private static int ReadJson(string path, RawEntry entry)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw entry.Error($"'{path}' is not a JSON object; expected a DeepSpeed config");
            if (!doc.RootElement.TryGetProperty("zero_optimization", out var zero))
                return 0; // DeepSpeed's default when the section is absent.
            if (zero.ValueKind != JsonValueKind.Object)
                throw entry.Error($"'{path}': zero_optimization is not an object");
            if (!zero.TryGetProperty("stage", out var stage))
                return 0;
            if (stage.ValueKind == JsonValueKind.Number && stage.TryGetInt32(out var n) && n is >= 0 and <= 3)
                return n;
            throw entry.Error($"'{path}': zero_optimization.stage is {stage.GetRawText()}; expected 0, 1, 2 or 3");
        }
        catch (JsonException ex)
        {
            throw entry.Error($"'{path}' is not valid JSON: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw entry.Error($"'{path}' cannot be read: {ex.Message}");
        }
    }

    [GeneratedRegex(@"ds_z([0-3])(?![0-9])", RegexOptions.IgnoreCase)]
    private static partial Regex StageInName();
}
