using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.IO;
using Athanor.Tokenization;

namespace Athanor.Inference;

/// <summary>
/// Finds the tokenizer of a model folder: an explicit choice ("byte" or a folder), else the folder's
/// tokenizer.json, else the marker that `cluster export` writes for runs trained with Athanor's byte tokenizer.
/// </summary>
public static class TokenizerLocator
{
    public const string ByteChoice = "byte";

    /// <summary>tokenizer_config.json's tokenizer_class for Athanor's built-in byte tokenizer (no tokenizer.json exists for it).</summary>
    public const string ByteTokenizerClass = "AthanorByteTokenizer";

    public static ITokenizer Load(string modelFolder, string? choice = null)
    {
        if (choice == ByteChoice) return new ByteTokenizer();
        var folder = choice ?? modelFolder;
        if (File.Exists(Path.Combine(folder, "tokenizer.json"))) return HfTokenizer.FromFolder(folder);
        if (IsByteTokenizerFolder(folder)) return new ByteTokenizer();
        throw new ArgumentException(choice is null
            ? $"{modelFolder}: no tokenizer.json; pass --tokenizer DIR (a folder with tokenizer.json) or --tokenizer byte (Athanor's built-in byte tokenizer)"
            : $"--tokenizer {choice}: no tokenizer.json there; accepted: byte, or a folder with tokenizer.json");
    }

    public static bool IsByteTokenizerFolder(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) is JsonObject o
                && o["tokenizer_class"] is JsonValue v && v.TryGetValue(out string? name) && name == ByteTokenizerClass;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes the marker (with the special tokens and chat template) that <see cref="Load"/> recognizes.</summary>
    public static void WriteByteTokenizerMarker(string folder)
    {
        var t = new ByteTokenizer();
        var o = new JsonObject
        {
            ["tokenizer_class"] = ByteTokenizerClass,
            ["comment"] = "Athanor's built-in byte tokenizer: ids 0-255 are UTF-8 bytes, 256-261 are special tokens. Athanor loads it; transformers cannot.",
            ["bos_token"] = t.BosToken,
            ["eos_token"] = t.EosToken,
            ["pad_token"] = t.PadToken,
            ["chat_template"] = t.ChatTemplate,
        };
        DurableFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
