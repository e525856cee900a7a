using System.Text;
using System.Text.Json;
using Athanor.Tokenization;

namespace Athanor.Data.Pipeline;

/// <summary>
/// `cluster data tokenize` on all cores: each {"text": ...} line of a JSONL file becomes one line holding the JSON array
/// of its ids (no special tokens), in input order, the same bytes <see cref="JsonlTokenization"/> writes. The file is
/// streamed: memory holds a few batches of lines, whatever the file size. A bad line throws
/// <see cref="JsonlFormatException"/> naming file:line (the first bad line, as a sequential pass would).
/// </summary>
public static class ParallelJsonlTokenizer
{
    private const int LinesPerBatch = 256;

    /// <summary>Returns the number of lines and of tokens written.</summary>
    public static (long Lines, long Tokens) Tokenize(ITokenizer tokenizer, string inputPath, TextWriter output, int workers)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"{inputPath}: the input file does not exist", inputPath);
        long lines = 0, tokens = 0;
        var numbered = File.ReadLines(inputPath, Encoding.UTF8).Select((line, i) => (Line: line, Number: i + 1L));
        // One task per batch of lines: the batch's output is built as one string, so the writer sees few, large writes.
        foreach (var (text, count, ids) in OrderedParallel.Map(numbered.Chunk(LinesPerBatch), batch => EncodeBatch(tokenizer, inputPath, batch), workers, batchSize: 1))
        {
            output.Write(text);
            lines += count;
            tokens += ids;
        }
        return (lines, tokens);
    }

    private static (string Text, int Lines, long Tokens) EncodeBatch(ITokenizer tokenizer, string file, (string Line, long Number)[] batch)
    {
        var sb = new StringBuilder(batch.Length * 64);
        long tokens = 0;
        foreach (var (line, number) in batch)
        {
            var ids = tokenizer.Encode(TextOf(line, file, number), addSpecialTokens: false);
            tokens += ids.Count;
            sb.Append('[');
            for (int i = 0; i < ids.Count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(ids[i]);
            }
            sb.Append("]\n");
        }
        return (sb.ToString(), batch.Length, tokens);
    }

    /// <summary>The "text" of one line, read exactly as <see cref="JsonlTokenization"/> reads it.</summary>
    public static string TextOf(string line, string file, long lineNumber) => JsonlTokenization.TextOf(line, file, lineNumber);
}
