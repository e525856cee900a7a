using System.Net;

namespace Athanor.Serving.Hosting;

/// <summary>What `cluster serve-model` serves and how; <see cref="Validated"/> names the first bad value.</summary>
public sealed record ServingOptions
{
    /// <summary>The base model folder (config.json + safetensors).</summary>
    public required string ModelDir { get; init; }

    /// <summary>The id clients pass as `model` for the base (default: the folder's name).</summary>
    public string? ModelName { get; init; }

    /// <summary>PEFT adapter folders by the id clients pass as `model`.</summary>
    public IReadOnlyDictionary<string, string> Adapters { get; init; } = new Dictionary<string, string>();

    /// <summary>"byte", a folder with tokenizer.json, or null for the model folder's own.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>The chat template of /v1/chat/completions: "model" (the tokenizer's chat_template) or a LLaMA-Factory name.</summary>
    public string Template { get; init; } = "model";

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (printed).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The bearer token file; null serves without a token (loopback only).</summary>
    public string? TokenFile { get; init; }

    /// <summary>Sequences decoded together; more wait in the queue.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>Sequences waiting for a batch slot; beyond it requests get 429.</summary>
    public int MaxQueue { get; init; } = 64;

    public int? Threads { get; init; }

    public string BaseName => ModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelDir)));

    public ServingOptions Validated()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port}: accepted: 0 to 65535");
        if (!IPAddress.TryParse(Host, out var address)) throw new ArgumentException($"host '{Host}' is not an IP address; accepted: e.g. 127.0.0.1 or 0.0.0.0");
        if (TokenFile is null && !IPAddress.IsLoopback(address))
            throw new ArgumentException($"host {Host} is reachable from other machines: give --token-file FILE so clients must send its token");
        if (MaxBatch < 1) throw new ArgumentException($"max batch {MaxBatch}: accepted: an integer >= 1");
        if (MaxQueue < 0) throw new ArgumentException($"max queue {MaxQueue}: accepted: an integer >= 0");
        foreach (var name in Adapters.Keys)
            if (name.Length == 0 || name == BaseName)
                throw new ArgumentException($"adapter name '{name}': accepted: a non-empty name other than the base model's '{BaseName}'");
        return this;
    }
}
