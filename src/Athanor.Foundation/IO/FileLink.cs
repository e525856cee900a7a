using System.Runtime.InteropServices;

namespace Athanor.IO;

/// <summary>
/// A second name for a file that is never rewritten (a committed checkpoint's weights): a hard link where the
/// file system allows one, else a copy. A 13B model's final weights then cost no time and no second 26 GB, and
/// they outlive the checkpoint folder's removal by save_total_limit.
/// </summary>
public static partial class FileLink
{
    /// <summary>Makes <paramref name="destination"/> (replaced if present) name the same data as <paramref name="source"/>.</summary>
    /// <returns>true if linked, false if copied</returns>
    public static bool LinkOrCopy(string source, string destination)
    {
        if (File.Exists(destination)) File.Delete(destination);
        if (!OperatingSystem.IsWindows() && Link(source, destination) == 0) return true;
        File.Copy(source, destination); // another file system, or one without hard links
        return false;
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);
}
