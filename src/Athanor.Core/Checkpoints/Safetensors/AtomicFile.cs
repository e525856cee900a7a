namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// Write-then-rename: content goes to a hidden temporary file in the destination folder (same file system, so
/// the rename is atomic), is flushed to disk, and only then replaces the destination.
/// </summary>
internal static class AtomicFile
{
    public static string TempPathFor(string finalPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        return Path.Combine(folder, $".{Path.GetFileName(finalPath)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Runs <paramref name="write"/> on a temp path and moves the result to <paramref name="finalPath"/>.</summary>
    public static void Write(string finalPath, Action<string> write)
    {
        var temp = TempPathFor(finalPath);
        try
        {
            write(temp);
            File.Move(temp, finalPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file is hidden and harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
