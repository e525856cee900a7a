using Athanor.Configuration;
using Athanor.Training;

namespace Athanor.Cli.Commands;

/// <summary>
/// The built-in demo: examples/demo.yaml and its data ship next to the executable, so `cluster train`
/// with no file works from any folder. Output goes to ./runs/demo unless --set output_dir=... says otherwise.
/// </summary>
public static class DemoJob
{
    public static string Root => AppContext.BaseDirectory;

    public static LoadedConfig Load(IReadOnlyList<string> userOverrides)
    {
        var path = Path.Combine(Root, "examples", "demo.yaml");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the demo job file is missing from this installation (rebuild or reinstall Athanor)");
        var overrides = new List<string> { "output_dir=" + Path.GetFullPath(Path.Combine("runs", "demo")) };
        overrides.AddRange(userOverrides);
        return JobConfigLoader.Parse(File.ReadAllText(path), path, overrides, Root);
    }

    public static string Introduction(JobConfig c) =>
        $"Athanor demo: a small Llama-style model (random init, {c.ModelNameOrPath}) learns LLaMA-Factory's identity and alpaca " +
        $"samples byte by byte, {c.MaxSteps} steps on this CPU. The same job is examples/demo.yaml.";

    public static string Conclusion(double? firstLoss, double? lastLoss)
    {
        if (firstLoss is not double first || lastLoss is not double last) return "";
        double drop = 1 - last / first;
        return $"What this showed: the loss fell from {first:F2} to {last:F2} ({drop:P0} lower){(drop > 0.5 ? ", more than half" : "")}: " +
               "the model learned the structure of the chat template, English spelling and the identity answers. " +
               "metrics.jsonl, the loss plot and the final weights (Hugging Face safetensors) are in the output folder.";
    }
}
