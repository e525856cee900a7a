using System.Runtime.InteropServices;

namespace Athanor.IO;

/// <summary>What a path is on disk. Atomic replace-by-rename is only right for regular files: renaming over
/// /dev/null or a named pipe would replace the device with a plain file.</summary>
public static class FileKind
{
    /// <summary>True when the path does not exist or is a regular file (false for devices, pipes, sockets).</summary>
    public static bool IsRegularOrMissing(string path) => !File.Exists(path) || IsRegularFile(path);

    /// <summary>True for a regular file (links followed); false for devices, pipes, sockets, folders and missing paths. Opens nothing.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!File.Exists(path)) return false;
        if (!OperatingSystem.IsLinux()) return !path.StartsWith("/dev/", StringComparison.Ordinal);
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0) return false;
        uint mode = BitConverter.ToUInt32(buffer, 24); // st_mode in x86-64 and arm64 Linux struct stat
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64) mode = BitConverter.ToUInt32(buffer, 16);
        return (mode & 0xF000) == 0x8000;
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, byte[] buffer);
}
