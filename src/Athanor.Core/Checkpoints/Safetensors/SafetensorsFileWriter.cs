using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// Writes one safetensors file: header, padded with spaces to 8 bytes, then each tensor's little-endian bytes.
/// Data is laid out by element size (largest first), then name, so every tensor starts aligned to its element.
/// </summary>
internal static class SafetensorsFileWriter
{
    private static readonly JsonWriterOptions CompactJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keeps '+' and '<' readable in names; still valid JSON
        Indented = false,
    };

    /// <summary>Bytes a tensor occupies in the data section.</summary>
    public static long ByteLength(Tensor tensor) => checked(tensor.numel() * SafetensorsDtype.ElementSize(tensor.dtype));

    /// <summary>
    /// Writes <paramref name="entries"/> to <paramref name="path"/> (which must not exist yet), flushed to disk.
    /// Inputs are disposed after their bytes are written when <paramref name="disposeInputs"/> is set.
    /// </summary>
    public static void WriteNew(string path, IReadOnlyList<KeyValuePair<string, Tensor>> entries,
        IReadOnlyDictionary<string, string>? metadata, bool disposeInputs)
    {
        var layout = new (string Name, Tensor Tensor, string Dtype, int ElementSize, long Bytes)[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, tensor) = (entries[i].Key, entries[i].Value);
            if (!SafetensorsDtype.TryGetName(tensor.dtype, out var dtype))
                throw new NotSupportedException(
                    $"{path}: tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store here; supported: {SafetensorsDtype.SupportedList}");
            layout[i] = (name, tensor, dtype, SafetensorsDtype.ElementSize(dtype), ByteLength(tensor));
        }
        Array.Sort(layout, static (a, b) =>
        {
            var c = b.ElementSize.CompareTo(a.ElementSize);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        var header = BuildHeader(layout, metadata, out var dataBytes);
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            PreallocationSize = header.Length + dataBytes,
        }))
        {
            stream.Write(header);
            foreach (var item in layout)
            {
                WriteTensor(item.Tensor, item.Bytes, stream);
                if (disposeInputs) item.Tensor.Dispose();
            }
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>The 8-byte length, the JSON header and its space padding.</summary>
    private static byte[] BuildHeader((string Name, Tensor Tensor, string Dtype, int ElementSize, long Bytes)[] layout,
        IReadOnlyDictionary<string, string>? metadata, out long dataBytes)
    {
        var json = new ArrayBufferWriter<byte>(256 + layout.Length * 96);
        long offset = 0;
        using (var writer = new Utf8JsonWriter(json, CompactJson))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (var item in layout)
            {
                writer.WriteStartObject(item.Name);
                writer.WriteString("dtype", item.Dtype);
                writer.WriteStartArray("shape");
                foreach (var dim in item.Tensor.shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += item.Bytes;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        dataBytes = offset;

        var padded = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.WrittenSpan.CopyTo(header.AsSpan(8));
        header.AsSpan(8 + json.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>Streams a tensor's bytes, first bringing it to a contiguous CPU copy when it is not one already.</summary>
    private static void WriteTensor(Tensor tensor, long bytes, Stream stream)
    {
        Tensor? cpu = null, contiguous = null;
        try
        {
            var source = tensor;
            if (source.device_type != TorchSharp.DeviceType.CPU) source = cpu = source.cpu();
            if (!source.is_contiguous()) source = contiguous = source.contiguous();
            TensorStorage.WriteTo(source, bytes, stream);
        }
        finally
        {
            contiguous?.Dispose();
            cpu?.Dispose();
        }
    }
}
