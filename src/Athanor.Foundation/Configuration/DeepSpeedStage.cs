using System.Text.Json;
using System.Text.RegularExpressions;
using Athanor.IO;

namespace Athanor.Configuration;

/// <summary>
/// Reads the ZeRO stage out of a LLaMA-Factory <c>deepspeed:</c> setting, the only part of a
/// DeepSpeed config Athanor uses: from the JSON when the file exists, else from a ds_zN file name.
/// </summary>
internal static partial class DeepSpeedStage
{
    /// <summary>A DeepSpeed config is a few KB; reading stops here, so a huge or endless file cannot grow the process.</summary>
    public const int MaxJsonBytes = 1 << 20;

    /// <summary>The stage, or null when the file is missing and its name does not say (ds_z0 .. ds_z3).</summary>
    /// <param name="path">The path as resolved (and, on a node, checked against its roots): only a rooted path is read.</param>
    /// <param name="entry">The deepspeed entry, for error messages.</param>
    public static int? Infer(string path, RawEntry entry)
    {
        if (Path.IsPathRooted(path) && File.Exists(path))
            return ReadJson(path, entry);
        var match = StageInName().Match(Path.GetFileName(path));
        return match.Success ? match.Groups[1].Value[0] - '0' : null;
    }

    private static int ReadJson(string path, RawEntry entry)
    {
        var quoted = InputText.Quote(path);
        // A pipe would block the reader until someone writes to it, a device may never end: only regular files are read.
        if (!FileKind.IsRegularFile(path))
            throw entry.Error($"{quoted} is not a regular file (a pipe, device or socket); expected a DeepSpeed JSON file");
        try
        {
            var text = ReadAtMost(path, MaxJsonBytes, entry, quoted);
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw entry.Error($"{quoted} is not a JSON object; expected a DeepSpeed config");
            if (!doc.RootElement.TryGetProperty("zero_optimization", out var zero))
                return 0; // DeepSpeed's default when the section is absent.
            if (zero.ValueKind != JsonValueKind.Object)
                throw entry.Error($"{quoted}: zero_optimization is not an object");
            if (!zero.TryGetProperty("stage", out var stage))
                return 0;
            if (stage.ValueKind == JsonValueKind.Number && stage.TryGetInt32(out var n) && n is >= 0 and <= 3)
                return n;
            throw entry.Error($"{quoted}: zero_optimization.stage is {InputText.Shorten(stage.GetRawText())}; expected 0, 1, 2 or 3");
        }
        catch (JsonException ex)
        {
            throw entry.Error($"{quoted} is not valid JSON: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw entry.Error($"{quoted} cannot be read: {ex.Message}");
        }
    }

    private static ReadOnlyMemory<byte> ReadAtMost(string path, int limit, RawEntry entry, string quoted)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[limit + 1];
        int length = 0, read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            length += read;
        if (length > limit)
            throw entry.Error($"{quoted} is larger than {limit / (1 << 20)} MiB; a DeepSpeed JSON is a few KB");
        return buffer.AsMemory(0, length);
    }

    [GeneratedRegex(@"ds_z([0-3])(?![0-9])", RegexOptions.IgnoreCase)]
    private static partial Regex StageInName();
}
