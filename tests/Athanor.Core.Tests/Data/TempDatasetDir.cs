using System.Text;

namespace Athanor.Tests.Data;

/// <summary>A throw-away dataset_dir with a dataset_info.json and data files written by a test.</summary>
internal sealed class TempDatasetDir : IDisposable
{
    public TempDatasetDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Info(string json) => Write("dataset_info.json", json);

    public string Write(string relativePath, string text) => WriteBytes(relativePath, Encoding.UTF8.GetBytes(text));

    public string WriteBytes(string relativePath, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
