using System.Security.Cryptography;
using System.Text;
using Athanor.Configuration;
using Athanor.Data.Formats;
using Athanor.Tokenization;

namespace Athanor.Data.Pipeline;

/// <summary>
/// The name of a tokenized-dataset cache entry: SHA-256 over everything that decides the encoded samples. The data
/// files' bytes, their dataset_info.json entries, the tokenizer files' bytes (or "byte"), the template name and the
/// tokenizer's chat template text, stage, cutoff_len, train_on_prompt, max_samples, val_size, seed, on_bad_record,
/// and the build of Athanor.Core itself (its module version id), so a changed encoder never reads an old cache.
/// preprocessing_num_workers is left out on purpose: the samples do not depend on it.
/// </summary>
public static class TokenCacheKey
{
    private const string Format = "athanor-token-cache/1";

    /// <summary>Hex key (32 characters: the first 128 bits of the SHA-256). Reads every data file once.</summary>
    public static string Compute(JobConfig config, ITokenizer tokenizer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Field(string name, string? value)
        {
            Append(hash, name);
            Append(hash, value ?? "\0null");
        }

        Field("format", Format);
        Field("build", typeof(TokenCacheKey).Assembly.ManifestModule.ModuleVersionId.ToString());
        Field("stage", config.Stage.ToString());
        Field("template", config.Template);
        Field("chat_template", tokenizer.ChatTemplate);
        Field("cutoff_len", config.CutoffLen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field("train_on_prompt", config.TrainOnPrompt ? "true" : "false");
        Field("packing", config.Packing ? "true" : "false");
        Field("max_samples", config.MaxSamples?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field("val_size", config.ValSize.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Field("seed", config.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field("on_bad_record", config.OnBadRecord.ToString());

        Field("tokenizer", config.Tokenizer == "byte" ? "byte" : "files");
        if (config.Tokenizer != "byte")
        {
            var folder = config.Tokenizer == "model" ? config.ModelNameOrPath : config.Tokenizer;
            foreach (var name in (string[])["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"])
            {
                var path = Path.Combine(folder, name);
                Field(name, File.Exists(path) ? null : "absent");
                if (File.Exists(path)) AppendFile(hash, path);
            }
        }

        var info = DatasetInfo.Load(config.DatasetDir);
        foreach (var (split, names) in new[] { ("train", config.DatasetNames), ("eval", config.EvalDatasetNames) })
        {
            foreach (var name in names)
            {
                var entry = info.Get(name);
                Field(split, entry.ToString());
                foreach (var file in DatasetLoader.ResolveFiles(entry))
                {
                    Field("file", Path.GetFileName(file));
                    AppendFile(hash, file);
                }
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 16));
    }

    private static void Append(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (long)bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static void AppendFile(IncrementalHash hash, string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, stream.Length);
        hash.AppendData(length);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
    }
}
