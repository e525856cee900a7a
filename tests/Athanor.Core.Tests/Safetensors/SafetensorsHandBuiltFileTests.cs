using System.Buffers.Binary;
using Athanor.Checkpoints.Safetensors;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

/// <summary>Files assembled byte by byte from the format description, independent of the library's writer.</summary>
public class SafetensorsHandBuiltFileTests
{
    [Fact]
    public void HandBuiltFileWithUnsortedEntriesAndNoPaddingReadsCorrectly()
    {
        using var folder = new TempFolder();
        var data = new byte[16 + 6 + 8 + 3];
        var floats = new[] { 1.5f, -2f, 0.25f, 1e6f };
        for (var i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), floats[i]);
        // bf16 is the top half of an IEEE float: 1.0 = 0x3F80, -3.0 = 0xC040, 3.140625 = 0x4049.
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(16), 0x3F80);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(18), 0xC040);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(20), 0x4049);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(22), -7);
        data[30] = 1; data[31] = 0; data[32] = 1;
        // Entries listed out of offset order, metadata last: both are legal.
        const string header =
            """
            {"scale":{"dtype":"I64","shape":[],"data_offsets":[22,30]},
             "w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},
             "mask":{"dtype":"BOOL","shape":[3],"data_offsets":[30,33]},
             "h":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},"__metadata__":{"source":"by hand"}}
            """;
        var path = RawSafetensors.Write(folder, "hand.safetensors", header, data);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("by hand", file.Metadata["source"]);
        Assert.Equal(["scale", "w", "mask", "h"], file.Tensors.Keys);
        var info = file.Tensors["h"];
        Assert.Equal(("BF16", 16L, 22L, 6L), (info.Dtype, info.Begin, info.End, info.ByteLength));
        Assert.Equal([3L], info.Shape);

        using var w = file.Load("w");
        Assert.Equal([2L, 2L], w.shape);
        Assert.Equal(floats, w.data<float>().ToArray());

        using var h = file.Load("h");
        Assert.Equal(ScalarType.BFloat16, h.dtype);
        using var hFloat = file.Load("h", ScalarType.Float32);
        Assert.Equal(new[] { 1f, -3f, 3.140625f }, hFloat.data<float>().ToArray());

        using var scale = file.Load("scale");
        Assert.Equal(0, scale.dim());
        Assert.Equal(-7L, scale.item<long>());

        using var mask = file.Load("mask");
        Assert.Equal(new[] { true, false, true }, mask.data<bool>().ToArray());
    }

    [Fact]
    public void HandBuiltF16ValuesDecodeAsIeeeHalf()
    {
        using var folder = new TempFolder();
        var data = new byte[6];
        // IEEE half: 1.0 = 0x3C00, -0.5 = 0xB800, 65504 (max) = 0x7BFF.
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(0), 0x3C00);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2), 0xB800);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), 0x7BFF);
        var path = RawSafetensors.Write(folder, "half.safetensors", """{"x":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}      """, data);

        using var file = SafetensorsFile.Open(path);
        using var x = file.Load("x", ScalarType.Float32);
        Assert.Equal(new[] { 1f, -0.5f, 65504f }, x.data<float>().ToArray());
    }
}
