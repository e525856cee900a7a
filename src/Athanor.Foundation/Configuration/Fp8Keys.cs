namespace Athanor.Configuration;

/// <summary>How an fp8 GEMM's inputs are scaled (<c>fp8_recipe</c>, issue 25).</summary>
public enum Fp8Recipe
{
    /// <summary>One scale per tensor from the amax of the current tensor (torchao's "tensorwise" dynamic scaling).</summary>
    Tensorwise,
}

/// <summary>
/// The FP8 training keys (issue 25): <c>fp8</c> and <c>fp8_recipe</c>. Typed here; the rules across keys are in
/// <see cref="Check"/>. What the GPU itself can do (compute capability 8.9 or newer) is checked where the device is
/// known: at rank start and by <c>cluster doctor</c>.
/// </summary>
internal static class Fp8Keys
{
    public const string RecipeExpected = "tensorwise (one dynamic scale per tensor)";

    // torchao's other recipes, named so the message says they are known but not built here.
    private static readonly string[] OtherRecipes = ["rowwise", "rowwise_with_gw_hp", "delayed"];

    public static IEnumerable<ConfigKey> All =>
    [
        new("fp8", "train", "true or false (true needs bf16: true and a CUDA GPU of compute capability 8.9 or newer)",
            (c, e) => c with { Fp8 = ValueReader.Bool(e, "true or false") }, c => YamlText.Bool(c.Fp8)),
        new("fp8_recipe", "train", RecipeExpected,
            (c, e) => c with { Fp8Recipe = ReadRecipe(e) }, c => RecipeName(c.Fp8Recipe)),
    ];

    public static string RecipeName(Fp8Recipe recipe) => recipe switch
    {
        Fp8Recipe.Tensorwise => "tensorwise",
        _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe, "fp8 recipe without a YAML spelling"),
    };

    private static Fp8Recipe ReadRecipe(RawEntry e)
    {
        var text = ValueReader.String(e, RecipeExpected).ToLowerInvariant();
        if (text == "tensorwise") return Fp8Recipe.Tensorwise;
        if (OtherRecipes.Contains(text))
            throw e.Error($"{InputText.Quote(e.Text)} is not supported yet; accepted: {RecipeExpected}");
        throw e.Error($"{InputText.Quote(e.Text)} is not accepted; expected {RecipeExpected}");
    }

    /// <summary>The rules across keys; <paramref name="fail"/> gets the key to point at and the problem.</summary>
    public static void Check(JobConfig c, Action<string, string> fail)
    {
        if (!c.Fp8) return;
        if (!c.Bf16)
            fail("fp8", "true needs bf16: true (the fp8 GEMMs read and write bf16; everything else runs in bf16); accepted: fp8: true with bf16: true, or fp8: false");
        if (c.Device == "cpu")
            fail("fp8", "true is not accepted with device: cpu: fp8 GEMMs need a CUDA GPU of compute capability 8.9 or newer " +
                "(Ada, Hopper, Blackwell); accepted: device: cuda or cuda:N on such a GPU, or fp8: false");
        if (c.IsQuantized)
            fail("fp8", "true with quantization_bit: 4 is not supported (a 4-bit base is dequantized to bf16 for its GEMM); accepted: one of fp8: true or quantization_bit: 4");
        if (c.ZeroStage == 3)
            fail("fp8", "true with zero_stage 3 is not supported yet (ZeRO-3's sharded projections keep their own bf16 GEMM); accepted: zero_stage 0, 1 or 2 with fp8: true, or fp8: false");
    }
}
