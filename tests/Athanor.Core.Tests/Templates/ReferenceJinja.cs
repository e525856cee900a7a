using System.Diagnostics;
using System.Text.Json;

namespace Athanor.Tests.Templates;

/// <summary>Runs tests/reference-jinja/render.mjs (@huggingface/jinja under Node) over a JSONL file of template variables.</summary>
internal static class ReferenceJinja
{
    public sealed record Result(string? Text, string? Error);

    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "reference-jinja");
                if (File.Exists(Path.Combine(candidate, "render.mjs"))) return candidate;
            }
            throw new InvalidOperationException("tests/reference-jinja/render.mjs not found above " + AppContext.BaseDirectory);
        }
    }

    public static IReadOnlyList<Result> Render(string templatePath, string variablesJsonlPath)
    {
        string dir = Directory;
        if (!File.Exists(Path.Combine(dir, "node_modules", "@huggingface", "jinja", "package.json")))
            throw new InvalidOperationException($"@huggingface/jinja is not installed: run `npm ci` in {dir} (the build does this unless ATHANOR_SKIP_NPM=1)");
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(dir, "render.mjs"));
        psi.ArgumentList.Add(templatePath);
        psi.ArgumentList.Add(variablesJsonlPath);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"render.mjs failed ({process.ExitCode}): {stderr}");
        var results = new List<Result>();
        foreach (var line in stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            results.Add(root.TryGetProperty("text", out var t) ? new Result(t.GetString(), null) : new Result(null, root.GetProperty("error").GetString()));
        }
        return results;
    }
}
