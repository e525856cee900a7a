using System.Runtime.InteropServices;
using System.Text;

namespace Athanor.Kernels;

/// <summary>What NVRTC produced: a CUBIN for the exact architecture, or PTX the driver compiles on load.</summary>
public sealed record CompiledImage(byte[] Image, bool IsCubin, string Target, string Log);

/// <summary>A compile error, with NVRTC's program log (the line and message of each error).</summary>
public sealed class KernelCompileException(string message) : Exception(message);

/// <summary>
/// NVRTC, bound at run time (no CUDA headers or SDK at build time). One instance per loaded library; the
/// calls used are thread-safe per program.
/// </summary>
public sealed unsafe class Nvrtc
{
    private readonly delegate* unmanaged<int*, int*, int> _version;
    private readonly delegate* unmanaged<IntPtr*, byte*, byte*, int, IntPtr, IntPtr, int> _create;
    private readonly delegate* unmanaged<IntPtr, int, byte**, int> _compile;
    private readonly delegate* unmanaged<IntPtr, nuint*, int> _logSize;
    private readonly delegate* unmanaged<IntPtr, byte*, int> _log;
    private readonly delegate* unmanaged<IntPtr, nuint*, int> _ptxSize;
    private readonly delegate* unmanaged<IntPtr, byte*, int> _ptx;
    private readonly delegate* unmanaged<IntPtr, nuint*, int> _cubinSize;
    private readonly delegate* unmanaged<IntPtr, byte*, int> _cubin;
    private readonly delegate* unmanaged<IntPtr*, int> _destroy;
    private readonly delegate* unmanaged<int, byte*> _errorString;
    private readonly delegate* unmanaged<int*, int> _numArchs;
    private readonly delegate* unmanaged<int*, int> _archs;

    public string LoadedFrom { get; }
    public (int Major, int Minor) Version { get; }

    private Nvrtc(IntPtr lib, string from)
    {
        LoadedFrom = from;
        _version = (delegate* unmanaged<int*, int*, int>)Export(lib, "nvrtcVersion");
        _create = (delegate* unmanaged<IntPtr*, byte*, byte*, int, IntPtr, IntPtr, int>)Export(lib, "nvrtcCreateProgram");
        _compile = (delegate* unmanaged<IntPtr, int, byte**, int>)Export(lib, "nvrtcCompileProgram");
        _logSize = (delegate* unmanaged<IntPtr, nuint*, int>)Export(lib, "nvrtcGetProgramLogSize");
        _log = (delegate* unmanaged<IntPtr, byte*, int>)Export(lib, "nvrtcGetProgramLog");
        _ptxSize = (delegate* unmanaged<IntPtr, nuint*, int>)Export(lib, "nvrtcGetPTXSize");
        _ptx = (delegate* unmanaged<IntPtr, byte*, int>)Export(lib, "nvrtcGetPTX");
        _destroy = (delegate* unmanaged<IntPtr*, int>)Export(lib, "nvrtcDestroyProgram");
        _errorString = (delegate* unmanaged<int, byte*>)Export(lib, "nvrtcGetErrorString");
        // CUBIN output and the architecture list arrived in 11.1 and 11.2; without them we fall back to PTX.
        _cubinSize = (delegate* unmanaged<IntPtr, nuint*, int>)OptionalExport(lib, "nvrtcGetCUBINSize");
        _cubin = (delegate* unmanaged<IntPtr, byte*, int>)OptionalExport(lib, "nvrtcGetCUBIN");
        _numArchs = (delegate* unmanaged<int*, int>)OptionalExport(lib, "nvrtcGetNumSupportedArchs");
        _archs = (delegate* unmanaged<int*, int>)OptionalExport(lib, "nvrtcGetSupportedArchs");
        int major, minor;
        Check(_version(&major, &minor), "nvrtcVersion");
        Version = (major, minor);
    }

    private static readonly Lazy<(Nvrtc? Nvrtc, string Problem)> Shared = new(() =>
    {
        var found = NvrtcLocator.Load(out var problem);
        if (found is null) return (null, problem);
        try { return (new Nvrtc(found.Value.Handle, found.Value.From), ""); }
        catch (Exception ex) when (ex is EntryPointNotFoundException or KernelCompileException)
        {
            return (null, $"{found.Value.From} is not a usable libnvrtc: {ex.Message}");
        }
    });

    /// <summary>The process-wide NVRTC, or null with the reason.</summary>
    public static Nvrtc? TryGet(out string problem)
    {
        var (nvrtc, why) = Shared.Value;
        problem = why;
        return nvrtc;
    }

    /// <summary>Compute capabilities this NVRTC can emit code for, e.g. 80, 90 (empty if it cannot say).</summary>
    public IReadOnlyList<int> SupportedArchs()
    {
        if (_numArchs == null || _archs == null) return [];
        int n;
        if (_numArchs(&n) != 0 || n <= 0) return [];
        var archs = new int[n];
        fixed (int* p = archs) Check(_archs(p), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>
    /// Compiles source for compute capability arch (e.g. 90): a CUBIN for sm_XY when this NVRTC knows that
    /// architecture, else PTX for the newest compute_XY it knows below it (the driver finishes the job).
    /// </summary>
    public CompiledImage Compile(string source, string name, int arch, IEnumerable<string>? extraOptions = null)
    {
        var supported = SupportedArchs();
        bool cubin = _cubin != null && (supported.Count == 0 || supported.Contains(arch));
        int target = cubin ? arch : supported.Where(a => a <= arch).DefaultIfEmpty(arch).Max();
        string targetOption = cubin ? $"--gpu-architecture=sm_{target}" : $"--gpu-architecture=compute_{target}";
        var options = new List<string> { targetOption, "--std=c++17" };
        if (extraOptions is not null) options.AddRange(extraOptions);

        IntPtr prog;
        var src = Utf8z(source);
        var nameBytes = Utf8z(name);
        fixed (byte* s = src) fixed (byte* n = nameBytes)
            Check(_create(&prog, s, n, 0, IntPtr.Zero, IntPtr.Zero), "nvrtcCreateProgram");
        try
        {
            var optionBytes = options.Select(Utf8z).ToArray();
            var handles = optionBytes.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
            int rc;
            try
            {
                var pointers = stackalloc byte*[handles.Length];
                for (int i = 0; i < handles.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                rc = _compile(prog, handles.Length, pointers);
            }
            finally { foreach (var h in handles) h.Free(); }
            string log = ProgramLog(prog);
            if (rc != 0)
                throw new KernelCompileException($"NVRTC {Version.Major}.{Version.Minor} failed to compile {name} for {targetOption} ({ErrorString(rc)}):\n{log}");
            nuint size;
            byte[] image;
            if (cubin)
            {
                Check(_cubinSize(prog, &size), "nvrtcGetCUBINSize");
                image = new byte[size];
                fixed (byte* p = image) Check(_cubin(prog, p), "nvrtcGetCUBIN");
            }
            else
            {
                Check(_ptxSize(prog, &size), "nvrtcGetPTXSize");
                image = new byte[size]; // includes the terminating NUL cuModuleLoadData needs for PTX
                fixed (byte* p = image) Check(_ptx(prog, p), "nvrtcGetPTX");
            }
            return new CompiledImage(image, cubin, targetOption, log);
        }
        finally { _destroy(&prog); }
    }

    private string ProgramLog(IntPtr prog)
    {
        nuint size;
        if (_logSize(prog, &size) != 0 || size <= 1) return "";
        var bytes = new byte[size];
        fixed (byte* p = bytes) _log(prog, p);
        return Encoding.UTF8.GetString(bytes, 0, (int)size - 1).Trim();
    }

    private string ErrorString(int rc) => Marshal.PtrToStringUTF8((IntPtr)_errorString(rc)) ?? $"error {rc}";

    private void Check(int rc, string call)
    {
        if (rc != 0) throw new KernelCompileException($"{call} failed: {ErrorString(rc)} ({rc})");
    }

    private static byte[] Utf8z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static IntPtr Export(IntPtr lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var fn) ? fn : throw new EntryPointNotFoundException($"libnvrtc has no {name}");

    private static IntPtr OptionalExport(IntPtr lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var fn) ? fn : IntPtr.Zero;
}
