using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// One .safetensors file, memory-mapped read-only. The header is parsed and validated on open; tensor bytes are
/// read only when loaded, straight from the mapped view into the new tensor's storage.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private byte* _data;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* data,
        long dataOffset, SafetensorsHeader header)
    {
        Path = path;
        _map = map;
        _view = view;
        _data = data;
        DataOffset = dataOffset;
        _tensors = header.Tensors;
        Metadata = header.Metadata;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Where the data section starts in the file (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>The tensor entries, in header order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>The "__metadata__" entries (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Maps <paramref name="path"/> and validates its header.</summary>
    /// <exception cref="SafetensorsFormatException">The file breaks the format; the message says where and how.</exception>
    public static SafetensorsFile Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        long fileLength = new FileInfo(fullPath).Length; // throws FileNotFoundException naming the file
        if (fileLength < 8)
            throw new SafetensorsFormatException(fullPath, $"file is {fileLength} bytes, too short for the 8-byte header length");

        var map = MemoryMappedFile.CreateFromFile(fullPath, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            acquired = true;
            start += view.PointerOffset;

            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(start, 8));
            if (headerLength > (ulong)(fileLength - 8))
                throw new SafetensorsFormatException(fullPath,
                    $"header length {headerLength} runs past the end of the file ({fileLength} bytes; at most {fileLength - 8} fit): truncated or not a safetensors file");
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new SafetensorsFormatException(fullPath,
                    $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit of the format");

            var dataOffset = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(fullPath, new ReadOnlySpan<byte>(start + 8, (int)headerLength), fileLength - dataOffset);
            return new SafetensorsFile(fullPath, map, view, start + dataOffset, dataOffset, header);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="SafetensorsTensorNotFoundException">No such tensor in this file.</exception>
    public TensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var info) ? info : throw new SafetensorsTensorNotFoundException(name, Path, _tensors.Count);

    /// <summary>
    /// Creates a CPU tensor holding <paramref name="name"/>, converted to <paramref name="asType"/> when given.
    /// The caller owns (and disposes) the result; it does not depend on this file staying open.
    /// </summary>
    public Tensor Load(string name, ScalarType? asType = null)
    {
        var info = Info(name);
        var data = DataPointer();
        var tensor = TensorStorage.CreateFrom(data + info.Begin, info.ByteLength, info.Shape, info.ScalarType);
        if (asType is not { } target || target == tensor.dtype) return tensor;
        using (tensor)
            return tensor.to_type(target);
    }

    /// <summary>
    /// Copies elements [<paramref name="elementOffset"/>, + destination's count) of the flattened tensor
    /// <paramref name="name"/> into <paramref name="destination"/> (contiguous, any device, converted to its dtype),
    /// through one reused staging buffer of at most <paramref name="chunkBytes"/>: a multi-GiB optimizer vector goes to
    /// the GPU without a host copy of its own size (fresh host memory is slow to come by on some VMs).
    /// </summary>
    public void CopyInto(string name, long elementOffset, Tensor destination, long chunkBytes = 64L << 20)
    {
        var info = Info(name);
        long count = destination.numel();
        long total = info.Shape.Aggregate(1L, (a, b) => a * b);
        if (elementOffset < 0 || elementOffset + count > total)
            throw new ArgumentOutOfRangeException(nameof(elementOffset), $"{Path}: '{name}' has {total} elements; asked for [{elementOffset}, {elementOffset + count})");
        if (!destination.is_contiguous()) throw new ArgumentException("the destination must be contiguous", nameof(destination));
        if (count == 0) return;
        long elementSize = info.ByteLength / Math.Max(1, total);
        long chunkElements = Math.Max(1, Math.Min(count, chunkBytes / elementSize));
        using var staging = torch.empty(chunkElements, info.ScalarType, torch.CPU);
        using var flat = destination.view(-1);
        var data = DataPointer() + info.Begin;
        for (long done = 0; done < count; done += chunkElements)
        {
            long n = Math.Min(chunkElements, count - done);
            using var part = staging.narrow(0, 0, n);
            new ReadOnlySpan<byte>(data + (elementOffset + done) * elementSize, checked((int)(n * elementSize))).CopyTo(part.bytes);
            using var target = flat.narrow(0, done, n);
            target.copy_(part);
        }
    }

    /// <summary>
    /// The stored little-endian bytes of <paramref name="name"/>, read from the mapping without a copy.
    /// Valid only until this file is disposed; tensors over 2 GiB must be loaded instead.
    /// </summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = Info(name);
        if (info.ByteLength > int.MaxValue)
            throw new InvalidOperationException($"{Path}: tensor '{name}' is {info.ByteLength} bytes, too large for a span; use Load");
        return new ReadOnlySpan<byte>(DataPointer() + info.Begin, (int)info.ByteLength);
    }

    private byte* DataPointer()
    {
        ObjectDisposedException.ThrowIf(_data == null, this);
        return _data;
    }

    public void Dispose()
    {
        if (_data == null) return;
        _data = null;
        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }
}
