using System.Runtime.InteropServices;

namespace Athanor.Native.Cuda;

/// <summary>
/// One native library found under any of several file names (libcudart.so.13 or .so.12, ...), loaded on first
/// use and bound symbol by symbol, so a missing library or an old version fails only the calls that need it,
/// with a message that names what was tried.
/// </summary>
internal sealed class NativeApi
{
    private readonly Func<IEnumerable<string>> _candidates;
    private readonly string _hint;
    private readonly Lock _gate = new();
    private IntPtr _handle;

    public NativeApi(string library, string hint, Func<IEnumerable<string>> candidates)
    {
        Library = library;
        _hint = hint;
        _candidates = candidates;
    }

    /// <summary>What the library is, for messages ("the CUDA runtime").</summary>
    public string Library { get; }

    /// <summary>The file name that loaded, once loaded.</summary>
    public string? LoadedFrom { get; private set; }

    public IntPtr Handle
    {
        get
        {
            if (_handle != IntPtr.Zero) return _handle;
            lock (_gate)
            {
                if (_handle == IntPtr.Zero) _handle = Load();
            }
            return _handle;
        }
    }

    /// <summary>Loads the library if it can; false with the reason otherwise (never throws for a missing library).</summary>
    public bool TryLoad(out string? problem)
    {
        try
        {
            _ = Handle;
            problem = null;
            return true;
        }
        catch (NativeLibraryMissingException ex)
        {
            problem = ex.Message;
            return false;
        }
    }

    /// <summary>The address of the first of the given exports that the library has (later names are fallbacks for other versions).</summary>
    public IntPtr Resolve(params string[] names)
    {
        var handle = Handle;
        foreach (var name in names)
            if (NativeLibrary.TryGetExport(handle, name, out var fn)) return fn;
        throw new EntryPointNotFoundException(
            $"{Library} ({LoadedFrom}) exports none of {string.Join(", ", names)}: the installed version is too old for this call");
    }

    public bool TryResolve(string name, out IntPtr fn) => NativeLibrary.TryGetExport(Handle, name, out fn);

    private IntPtr Load()
    {
        var attempts = new List<string>();
        foreach (var candidate in _candidates().Distinct())
        {
            try
            {
                var handle = NativeLibrary.Load(candidate);
                LoadedFrom = candidate;
                return handle;
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add($"{candidate} ({LoaderReason(ex)})");
            }
        }
        throw new NativeLibraryMissingException(Library, attempts, _hint);
    }

    /// <summary>The dynamic loader's own words (dlerror), without .NET's generic preamble.</summary>
    internal static string LoaderReason(Exception ex)
    {
        var lines = ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var specific = lines.Skip(1).FirstOrDefault(l => l.Contains(':'));
        var reason = specific ?? lines.FirstOrDefault() ?? ex.GetType().Name;
        // dlerror repeats the file name before its reason; keep only the reason.
        int colon = reason.LastIndexOf(": ", StringComparison.Ordinal);
        return colon >= 0 ? reason[(colon + 2)..] : reason;
    }
}
