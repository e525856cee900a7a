using System.Diagnostics;
using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

// Two measurements, each streamed so memory stays flat whatever the input size:
//   tokenize   FILE.jsonl ({"text"} lines) -> ids, the `cluster data tokenize` path (JSON parse + encode + id text)
//   preprocess DATASET_DIR NAME            -> render + tokenize + mask + cutoff, the training path, into a cache entry
// Usage:
//   DataBench tokenize   --tokenizer DIR --input FILE.jsonl --workers N [--repeat R]
//   DataBench preprocess --tokenizer DIR --template NAME --dataset-dir DIR --dataset NAME --workers N [--cutoff 2048] [--repeat R] [--cache DIR]
// Each repeat loads a fresh tokenizer (empty BPE cache); one untimed warm-up run comes first when R > 1.
var opts = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
string mode = args.Length > 0 ? args[0] : "";
int workers = int.Parse(opts.GetValueOrDefault("workers", Environment.ProcessorCount.ToString()));
int repeat = int.Parse(opts.GetValueOrDefault("repeat", "1"));
ITokenizer NewTokenizer() => opts["tokenizer"] == "byte" ? new ByteTokenizer() : HfTokenizer.FromFolder(opts["tokenizer"]);

Func<ITokenizer, (long Tokens, long Items)> run = mode switch
{
    "tokenize" => tokenizer =>
    {
        var (lines, tokens) = ParallelJsonlTokenizer.Tokenize(tokenizer, opts["input"], TextWriter.Null, workers);
        return (tokens, lines);
    },
    "preprocess" => tokenizer => Preprocess(tokenizer),
    _ => throw new ArgumentException("mode: tokenize or preprocess"),
};

if (repeat > 1) run(NewTokenizer());
var rates = new List<double>();
for (int r = 0; r < repeat; r++)
{
    var tokenizer = NewTokenizer();
    var clock = Stopwatch.StartNew();
    var (tokens, items) = run(tokenizer);
    double s = clock.Elapsed.TotalSeconds;
    rates.Add(tokens / s);
    Console.WriteLine($"{mode} workers={workers} run {r + 1}: {items:N0} records, {tokens:N0} tokens in {s:F2} s = {tokens / s:N0} tokens/s");
}
rates.Sort();
Console.WriteLine($"{mode} workers={workers}: median {rates[rates.Count / 2]:N0} tokens/s, best {rates[^1]:N0}; " +
                  $"peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB");

(long, long) Preprocess(ITokenizer tokenizer)
{
    var entry = DatasetInfo.Load(opts["dataset-dir"]).Get(opts["dataset"]);
    var template = ChatTemplates.Get(opts["template"], tokenizer);
    var report = new DatasetReport(entry.Name, "train");
    var tally = new EncodingTally();
    var samples = ParallelSampleEncoder.EncodeConversations(
        DatasetLoader.StreamConversations(entry, report, OnBadRecord.Error), template, tokenizer,
        int.Parse(opts.GetValueOrDefault("cutoff", "2048")), trainOnPrompt: false, workers, tally);
    if (opts.TryGetValue("cache", out var cacheRoot))
    {
        Directory.CreateDirectory(cacheRoot);
        using var writer = new TokenCacheWriter(cacheRoot, $"bench-{Guid.NewGuid():N}");
        foreach (var s in samples) writer.Add(s);
        var folder = writer.Commit(m => m);
        Directory.Delete(folder, recursive: true);
    }
    else
        foreach (var _ in samples) { }
    var result = tally.Report();
    return (result.Tokens, report.RecordsRead);
}
