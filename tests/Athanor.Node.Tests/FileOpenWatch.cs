using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Athanor.Node.Tests;

/// <summary>
/// Linux inotify on a few folders: reports every open and read of a file or folder in them (IN_OPEN, IN_ACCESS),
/// by whoever does it. A tripwire for "the server never opened anything outside its roots".
/// </summary>
internal sealed class FileOpenWatch : IDisposable
{
    private const int InNonblock = 0x800;
    private const uint InAccess = 0x1;
    private const uint InOpen = 0x20;
    private readonly int _fd;
    private readonly Dictionary<int, string> _folders = [];

    public FileOpenWatch(IEnumerable<string> folders)
    {
        _fd = InotifyInit1(InNonblock);
        if (_fd < 0) throw new InvalidOperationException($"inotify_init1 failed: errno {Marshal.GetLastPInvokeError()}");
        foreach (var folder in folders)
        {
            int wd = InotifyAddWatch(_fd, folder, InOpen | InAccess);
            if (wd < 0) throw new InvalidOperationException($"inotify_add_watch {folder} failed: errno {Marshal.GetLastPInvokeError()}");
            _folders[wd] = folder;
        }
    }

    /// <summary>What was opened or read since the watch started (or the last call): "OPEN /dir/name".</summary>
    public List<string> Events()
    {
        var events = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            long n = Read(_fd, buffer, buffer.Length);
            if (n <= 0) return events; // EAGAIN: nothing more
            for (int at = 0; at < n;)
            {
                int wd = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 4));
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 12));
                var name = Encoding.UTF8.GetString(buffer, at + 16, length).TrimEnd('\0');
                events.Add($"{((mask & InOpen) != 0 ? "OPEN" : "READ")} {Path.Combine(_folders.GetValueOrDefault(wd, "?"), name)}");
                at += 16 + length;
            }
        }
    }

    public void Dispose() => Close(_fd);

    [DllImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static extern int InotifyInit1(int flags);

    [DllImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static extern int InotifyAddWatch(int fd, string path, uint mask);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern long Read(int fd, byte[] buffer, long count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
