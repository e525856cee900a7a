using System.Text;
using System.Text.Json;

namespace Athanor.Tokenization;

/// <summary>A JSONL input line that is not {"text": "..."}; the message starts with file:line.</summary>
public sealed class JsonlFormatException(string file, long line, string problem)
    : Exception($"{file}:{line}: {problem}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
}

/// <summary>Corpus tokenization for `cluster data tokenize`: one {"text": ...} line in, one JSON array of ids out.</summary>
public static class JsonlTokenization
{
    /// <summary>
    /// Encodes each line's "text" without special tokens and writes the ids as a JSON array, one output line per
    /// input line. Returns the number of lines. A line that is not a JSON object with a string "text" (blank lines
    /// included, since they would break the line-to-line correspondence) throws JsonlFormatException naming file:line.
    /// </summary>
    public static long TokenizeJsonl(ITokenizer tokenizer, string inputPath, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(output);
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"Input file \"{inputPath}\" does not exist.", inputPath);

        long lineNumber = 0;
        var sb = new StringBuilder();
        foreach (string line in File.ReadLines(inputPath, Encoding.UTF8))
        {
            lineNumber++;
            string text = TextOf(line, inputPath, lineNumber);
            sb.Clear().Append('[');
            bool first = true;
            foreach (int id in tokenizer.Encode(text, addSpecialTokens: false))
            {
                if (!first) sb.Append(',');
                sb.Append(id);
                first = false;
            }
            output.Write(sb.Append(']').Append('\n'));
        }
        return lineNumber;
    }

    /// <summary>Same, writing to outputPath (created or overwritten, UTF-8 without BOM).</summary>
    public static long TokenizeJsonl(ITokenizer tokenizer, string inputPath, string outputPath)
    {
        using var writer = new StreamWriter(outputPath, append: false, new UTF8Encoding(false));
        return TokenizeJsonl(tokenizer, inputPath, writer);
    }

    /// <summary>The "text" of one {"text": ...} line, or a JsonlFormatException naming file:line and what is wrong.</summary>
    public static string TextOf(string line, string file, long lineNumber)
    {
        if (string.IsNullOrWhiteSpace(line))
            throw new JsonlFormatException(file, lineNumber, "empty line; expected a JSON object like {\"text\": \"...\"}.");
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new JsonlFormatException(file, lineNumber, $"found a JSON {root.ValueKind}; expected an object like {{\"text\": \"...\"}}.");
            if (!root.TryGetProperty("text", out var text))
                throw new JsonlFormatException(file, lineNumber, "the object has no \"text\" key; expected {\"text\": \"...\"}.");
            if (text.ValueKind != JsonValueKind.String)
                throw new JsonlFormatException(file, lineNumber, $"\"text\" is {JsonReading.Show(text)}; expected a string.");
            return text.GetString()!;
        }
        catch (JsonException e)
        {
            throw new JsonlFormatException(file, lineNumber, $"not valid JSON ({e.Message}); expected {{\"text\": \"...\"}}.");
        }
    }
}
