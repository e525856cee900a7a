namespace Athanor.Tests.Configuration;

/// <summary>A real folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Folder(string relative) => Directory.CreateDirectory(System.IO.Path.Combine(Path, relative)).FullName;

    public string File(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}

internal static class TestConfigs
{
    public static string DataPath(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", "Configuration", name);

    /// <summary>The smallest valid YAML, plus <paramref name="extra"/> lines.</summary>
    public static string Minimal(string extra = "") =>
        "model_name_or_path: ./model\ndataset: alpaca_en_demo\noutput_dir: out\n" + extra;
}
