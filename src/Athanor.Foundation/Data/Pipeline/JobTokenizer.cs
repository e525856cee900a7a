using Athanor.Configuration;
using Athanor.Tokenization;

namespace Athanor.Data.Pipeline;

/// <summary>The tokenizer a job names: "byte" (built in), "model" (the model folder's) or a tokenizer folder.</summary>
public static class JobTokenizer
{
    public static ITokenizer Load(JobConfig config) => Load(config.Tokenizer, config.ModelNameOrPath);

    /// <param name="tokenizer">"byte", "model" or a folder.</param>
    /// <param name="modelFolder">Where "model" points.</param>
    public static ITokenizer Load(string tokenizer, string? modelFolder = null) => tokenizer switch
    {
        "byte" => new ByteTokenizer(),
        "model" => HfTokenizer.FromFolder(modelFolder ?? throw new ArgumentException("tokenizer \"model\" needs a model folder")),
        var folder => HfTokenizer.FromFolder(folder),
    };
}
