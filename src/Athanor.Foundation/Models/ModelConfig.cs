using System.Text.Json;
using System.Text.Json.Nodes;

namespace Athanor.Models;

/// <summary>
/// The shape of a Llama-family decoder, read from a Hugging Face config.json. Both the transformers 4
/// layout (rope_theta + rope_scaling) and the transformers 5 layout (rope_parameters) are understood.
/// </summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral", "qwen2", "qwen3"];

    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public required RopeSettings Rope { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q/k/v (Qwen2 always; Llama when attention_bias).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj (Llama's attention_bias covers it, Qwen2's biases do not).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Per-head RMSNorm on queries and keys before rotary embedding (Qwen3).</summary>
    public bool QkNorm { get; init; }
    /// <summary>Tokens a query may look back (Mistral v0.1); null for full causal attention.</summary>
    public int? SlidingWindow { get; init; }
    public double InitializerRange { get; init; } = 0.02;
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }

    /// <summary>The config.json this was read from (kept so export writes back what the user had).</summary>
    public JsonObject? Source { get; init; }

    public long ParameterCount()
    {
        long attn = (long)HiddenSize * HeadDim * (NumHeads * 2 + NumKeyValueHeads * 2);
        long mlp = 3L * HiddenSize * IntermediateSize;
        long norms = 2L * HiddenSize + (QkNorm ? 2L * HeadDim : 0);
        long biases = (QkvBias ? (long)HeadDim * (NumHeads + 2 * NumKeyValueHeads) : 0) + (OutputBias ? HiddenSize : 0)
            + (MlpBias ? 2L * IntermediateSize + HiddenSize : 0);
        long embed = (long)VocabSize * HiddenSize;
        return NumLayers * (attn + mlp + norms + biases) + embed * (TieWordEmbeddings ? 1 : 2) + HiddenSize;
    }

    public static ModelConfig Load(string modelFolder)
    {
        if (!Directory.Exists(modelFolder))
            throw new ModelFormatException($"{modelFolder}: model folder does not exist (expected a Hugging Face model folder with config.json)");
        var path = Path.Combine(modelFolder, "config.json");
        if (!File.Exists(path))
            throw new ModelFormatException($"{path}: not found (a Hugging Face model folder has config.json next to its *.safetensors)");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException ex) { throw new ModelFormatException($"{path}: cannot be read: {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw new ModelFormatException($"{path}: cannot be read: {ex.Message}", ex); }
        return Parse(text, path);
    }

    public static ModelConfig Parse(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new ModelFormatException($"{source}: the top level is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{source}: invalid JSON: {ex.Message}", ex);
        }
        var r = new ConfigReader(root, source);
        var modelType = r.String("model_type") ?? InferType(r);
        if (!SupportedModelTypes.Contains(modelType))
            throw new ModelFormatException($"{source}: model_type '{modelType}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}");
        var act = r.String("hidden_act") ?? "silu";
        if (act != "silu")
            throw new ModelFormatException($"{source}: hidden_act '{act}' is not supported; Llama-family models use 'silu'");

        int hidden = r.RequiredInt("hidden_size");
        int heads = r.RequiredInt("num_attention_heads");
        int kvHeads = r.Int("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw new ModelFormatException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        int headDim = r.Int("head_dim") ?? hidden / heads;
        bool llamaBias = r.Bool("attention_bias") ?? false;
        bool useSliding = modelType == "mistral" || (r.Bool("use_sliding_window") ?? false);
        int? window = useSliding ? r.Int("sliding_window") : null;

        return new ModelConfig
        {
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = r.RequiredInt("intermediate_size"),
            NumLayers = r.RequiredInt("num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = r.RequiredInt("vocab_size"),
            RmsNormEps = r.Double("rms_norm_eps") ?? 1e-6,
            Rope = ReadRope(r, source),
            MaxPositionEmbeddings = r.Int("max_position_embeddings") ?? 4096,
            TieWordEmbeddings = r.Bool("tie_word_embeddings") ?? false,
            QkvBias = modelType == "qwen2" || llamaBias,
            OutputBias = modelType != "qwen2" && llamaBias,
            MlpBias = r.Bool("mlp_bias") ?? false,
            QkNorm = modelType == "qwen3",
            SlidingWindow = window,
            InitializerRange = r.Double("initializer_range") ?? 0.02,
            BosTokenId = r.Int("bos_token_id"),
            EosTokenIds = r.IntOrList("eos_token_id"),
            PadTokenId = r.Int("pad_token_id"),
            Source = root,
        }.Validated(source);
    }

    private ModelConfig Validated(string source)
    {
        void Positive(string key, long value)
        {
            if (value <= 0) throw new ModelFormatException($"{source}: {key} must be a positive integer, got {value}");
        }
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumLayers);
        Positive("num_attention_heads", NumHeads);
        Positive("num_key_value_heads", NumKeyValueHeads);
        Positive("head_dim", HeadDim);
        Positive("vocab_size", VocabSize);
        if (HeadDim % 2 != 0) throw new ModelFormatException($"{source}: head_dim {HeadDim} must be even for rotary embeddings");
        return this;
    }

    private static string InferType(ConfigReader r)
    {
        var arch = r.FirstArchitecture();
        return arch switch
        {
            "LlamaForCausalLM" => "llama",
            "MistralForCausalLM" => "mistral",
            "Qwen2ForCausalLM" => "qwen2",
            "Qwen3ForCausalLM" => "qwen3",
            null => throw new ModelFormatException($"{r.Source}: has neither model_type nor architectures; supported model_type: {string.Join(", ", SupportedModelTypes)}"),
            _ => throw new ModelFormatException($"{r.Source}: architecture '{arch}' is not supported; supported model_type: {string.Join(", ", SupportedModelTypes)}"),
        };
    }

    private static RopeSettings ReadRope(ConfigReader r, string source)
    {
        // transformers 5 folds theta and scaling into rope_parameters; 4.x has rope_theta + rope_scaling.
        var parameters = r.Object("rope_parameters");
        var scaling = parameters ?? r.Object("rope_scaling");
        double theta = (parameters is not null ? new ConfigReader(parameters, source).Double("rope_theta") : null)
            ?? r.Double("rope_theta") ?? 10000.0;
        if (scaling is null) return new RopeSettings(theta);
        var s = new ConfigReader(scaling, source + " rope_scaling");
        var type = s.String("rope_type") ?? s.String("type") ?? "default";
        if (!RopeSettings.SupportedTypes.Contains(type))
            throw new ModelFormatException($"{source}: rope type '{type}' is not supported; supported: {string.Join(", ", RopeSettings.SupportedTypes)}");
        return new RopeSettings(theta, type,
            Factor: s.Double("factor") ?? 1.0,
            LowFreqFactor: s.Double("low_freq_factor") ?? 1.0,
            HighFreqFactor: s.Double("high_freq_factor") ?? 4.0,
            OriginalMaxPositionEmbeddings: s.Int("original_max_position_embeddings") ?? 8192);
    }

    /// <summary>Writes config.json for a model built from this config (the original keys are kept when known).</summary>
    public JsonObject ToJson()
    {
        if (Source is not null) return (JsonObject)Source.DeepClone();
        var arch = ModelType switch { "llama" => "LlamaForCausalLM", "mistral" => "MistralForCausalLM", "qwen2" => "Qwen2ForCausalLM", _ => "Qwen3ForCausalLM" };
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(arch),
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = VocabSize,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = Rope.Theta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["hidden_act"] = "silu",
            ["initializer_range"] = InitializerRange,
            ["torch_dtype"] = "float32",
        };
        if (ModelType == "llama") o["attention_bias"] = QkvBias;
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        if (PadTokenId is int pad) o["pad_token_id"] = pad;
        return o;
    }
}
