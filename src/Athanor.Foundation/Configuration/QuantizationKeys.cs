namespace Athanor.Configuration;

/// <summary>How a quantized base is stored (<c>quantization_type</c>, issue 22): bitsandbytes' two 4-bit data types.</summary>
public enum QuantizationType
{
    /// <summary>4-bit NormalFloat (the QLoRA paper's data type).</summary>
    Nf4,

    /// <summary>bitsandbytes' 4-bit float (1 sign, 2 exponent, 1 mantissa bit).</summary>
    Fp4,
}

/// <summary>
/// The QLoRA keys (issue 22), as LLaMA-Factory spells them: quantization_bit, quantization_method,
/// quantization_type, double_quantization. Typed here; the cross-key rules are in <see cref="Check"/>.
/// </summary>
internal static class QuantizationKeys
{
    public const string BitExpected = "4 (a 4-bit base under LoRA, QLoRA), or null for none";
    public const string MethodExpected = "bnb (bitsandbytes' NF4/FP4 layout)";

    public static readonly EnumSpelling<QuantizationType> Types = new(("nf4", QuantizationType.Nf4), ("fp4", QuantizationType.Fp4));

    // LLaMA-Factory's other methods, named so the message says they are known but not built here.
    private static readonly string[] OtherMethods = ["hqq", "eetq", "gptq", "awq", "aqlm", "quanto", "hf"];

    public static IEnumerable<ConfigKey> All =>
    [
        new("quantization_bit", "model", BitExpected,
            (c, e) => c with { QuantizationBit = ValueReader.NullableInt(e, BitExpected) }, c => YamlText.Int(c.QuantizationBit)),
        new("quantization_method", "model", MethodExpected,
            (c, e) => c with { QuantizationMethod = ReadMethod(e) }, c => YamlText.String(c.QuantizationMethod)),
        new("quantization_type", "model", "one of " + Types.Accepted,
            (c, e) => c with { QuantizationType = ValueReader.Enum(e, Types) }, c => Types.Name(c.QuantizationType)),
        new("double_quantization", "model", "true or false",
            (c, e) => c with { DoubleQuantization = ValueReader.Bool(e, "true or false") }, c => YamlText.Bool(c.DoubleQuantization)),
    ];

    private static string ReadMethod(RawEntry e)
    {
        var text = ValueReader.String(e, MethodExpected).ToLowerInvariant();
        if (text == "bnb" || text == "bitsandbytes") return "bnb";
        if (OtherMethods.Contains(text))
            throw e.Error($"{InputText.Quote(e.Text)} is not supported yet; accepted: {MethodExpected}");
        throw e.Error($"{InputText.Quote(e.Text)} is not accepted; expected {MethodExpected}");
    }

    /// <summary>The rules across keys; <paramref name="fail"/> gets the key to point at and the problem.</summary>
    public static void Check(JobConfig c, Action<string, string> fail)
    {
        if (c.QuantizationBit is not { } bit) return;
        if (bit == 8)
            fail("quantization_bit", $"8 (LLM.int8) is not supported yet; accepted: {BitExpected}");
        else if (bit != 4)
            fail("quantization_bit", $"{bit} is not supported; accepted: {BitExpected}");
        if (c.FinetuningType != FinetuningType.Lora)
            fail("quantization_bit", "4 needs finetuning_type: lora (a 4-bit base is frozen; only adapters train); " +
                "accepted: finetuning_type: lora, or quantization_bit: null for full fine-tuning");
        if (c.ZeroStage == 3)
            fail("quantization_bit", "4 with zero_stage 3 is not supported yet (4-bit bases are not sharded); " +
                "accepted: zero_stage 0, 1 or 2 (each rank holds the 4-bit base and ZeRO shards the adapters' optimizer state)");
    }
}
