using System.Buffers.Binary;
using System.Text;
using Athanor.Native;

namespace Athanor.Tests.Safetensors;

/// <summary>A fresh folder under the system temp dir, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        TorchRuntime.Initialize();
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-safetensors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mapped file still open on another platform; the temp dir gets cleaned eventually.
        }
    }
}

/// <summary>
/// Builds safetensors bytes straight from the format description (u64 LE length, JSON, data), without the
/// library's writer, so reader tests do not lean on the code they check.
/// </summary>
internal static class RawSafetensors
{
    public static byte[] Build(string headerJson, ReadOnlySpan<byte> data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    public static string Write(TempFolder folder, string fileName, string headerJson, int dataBytes) =>
        Write(folder, fileName, headerJson, new byte[dataBytes]);

    public static string Write(TempFolder folder, string fileName, string headerJson, ReadOnlySpan<byte> data)
    {
        var path = folder.File(fileName);
        File.WriteAllBytes(path, Build(headerJson, data));
        return path;
    }
}
