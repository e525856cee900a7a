using System.Text;
using System.Text.Json;
using Athanor.Checkpoints.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

public class SafetensorsRoundTripTests
{
    public static TheoryData<ScalarType> AllTypes => new()
    {
        ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float64, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void EveryDtypeRoundTripsBitExactly(ScalarType type)
    {
        using var folder = new TempFolder();
        using var original = Sample(type, 7, 5);
        var path = folder.File("one.safetensors");

        SafetensorsWriter.Write(path, [new("weights", original)]);

        using var file = SafetensorsFile.Open(path);
        var info = file.Tensors["weights"];
        Assert.Equal(SafetensorsDtype.ToName(type), info.Dtype);
        Assert.Equal([7L, 5L], info.Shape);
        using var loaded = file.Load("weights");
        AssertSameTensor(original, loaded);
    }

    [Fact]
    public void WriterOutputMatchesTheReferenceImplementationByteForByte()
    {
        // huggingface/safetensors' own Python test (bindings/python/tests/test_simple.py, test_serialization) pins
        // save_file({"test": np.zeros((2, 2), np.int32)}) to: u64 64, this 60-byte JSON, 4 spaces, 16 zero bytes.
        using var folder = new TempFolder();
        var path = folder.File("reference.safetensors");
        using var zeros = torch.zeros(2, 2, dtype: ScalarType.Int32);

        SafetensorsWriter.Write(path, [new("test", zeros)], metadata: new Dictionary<string, string>());

        var expected = new List<byte> { 64, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes("""{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""" + "    "));
        expected.AddRange(new byte[16]);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void MixedFileKeepsEveryTensorAndTheFormatPtMetadata()
    {
        using var folder = new TempFolder();
        var path = folder.File("mixed.safetensors");
        using var f32 = torch.randn(3, 4);
        using var f16 = torch.randn(5).to_type(ScalarType.Float16);
        using var bf16 = torch.randn(2, 2, 2).to_type(ScalarType.BFloat16);
        using var i64 = torch.tensor(new[] { long.MinValue, -1L, 0L, long.MaxValue });
        using var flags = torch.tensor(new[] { true, false, false, true, true });
        using var scalar = torch.tensor(3.5f);
        using var empty = torch.empty(0, 4);

        SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
        {
            ["f32"] = f32, ["f16"] = f16, ["bf16"] = bf16, ["i64"] = i64, ["flags"] = flags, ["scalar"] = scalar, ["empty"] = empty,
        });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(7, file.Tensors.Count);
        foreach (var (name, tensor) in new[] { ("f32", f32), ("f16", f16), ("bf16", bf16), ("i64", i64), ("flags", flags), ("scalar", scalar), ("empty", empty) })
        {
            using var loaded = file.Load(name);
            AssertSameTensor(tensor, loaded);
        }
        Assert.Empty(file.Tensors["scalar"].Shape);

        // The header is space-padded so the data section starts 8-byte aligned, as the format asks of writers.
        Assert.Equal(0, file.DataOffset % 8);
        var bytes = File.ReadAllBytes(path);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)file.DataOffset - 8);
        using var header = JsonDocument.Parse(headerText);
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        // Larger elements first, so each tensor starts aligned to its element size.
        foreach (var info in file.Tensors.Values)
            Assert.Equal(0, info.Begin % SafetensorsDtype.ElementSize(info.Dtype));
    }

    [Fact]
    public void Bf16FileLoadsAsFloat32WhenAsked()
    {
        using var folder = new TempFolder();
        var path = folder.File("bf16.safetensors");
        using var source = torch.randn(6, 8);
        using var bf16 = source.to_type(ScalarType.BFloat16);
        SafetensorsWriter.Write(path, [new("w", bf16)]);

        using var file = SafetensorsFile.Open(path);
        using var asFloat = file.Load("w", ScalarType.Float32);
        using var expected = bf16.to_type(ScalarType.Float32);

        Assert.Equal(ScalarType.Float32, asFloat.dtype);
        Assert.Equal(expected.data<float>().ToArray(), asFloat.data<float>().ToArray());
        Assert.True(asFloat.allclose(source, rtol: 1e-2, atol: 1e-2)); // bf16 keeps about 3 significant digits
    }

    [Fact]
    public void NonContiguousAndOffsetViewsAreWrittenAsTheirLogicalValues()
    {
        using var folder = new TempFolder();
        var path = folder.File("views.safetensors");
        using var matrix = torch.arange(24, dtype: ScalarType.Float32).reshape(4, 6);
        using var transposed = matrix.t();
        using var rows = matrix.narrow(0, 1, 2);
        using var strided = matrix[TensorIndex.Colon, TensorIndex.Slice(0, 6, 2)];
        Assert.False(transposed.is_contiguous());
        Assert.False(strided.is_contiguous());

        SafetensorsWriter.Write(path, [new("transposed", transposed), new("rows", rows), new("strided", strided)]);

        using var file = SafetensorsFile.Open(path);
        using var t = file.Load("transposed");
        using var r = file.Load("rows");
        using var s = file.Load("strided");
        AssertSameTensor(transposed, t);
        AssertSameTensor(rows, r);
        AssertSameTensor(strided, s);
        Assert.Equal([6L, 4L], t.shape);
    }

    [Fact]
    public void LoadedTensorOutlivesTheFileAndRawBytesMatchStorage()
    {
        using var folder = new TempFolder();
        var path = folder.File("a.safetensors");
        using var original = torch.tensor(new short[] { 1, -2, 300 });
        SafetensorsWriter.Write(path, [new("s", original)]);

        Tensor loaded;
        using (var file = SafetensorsFile.Open(path))
        {
            Assert.Equal(new byte[] { 1, 0, 0xFE, 0xFF, 0x2C, 0x01 }, file.GetBytes("s").ToArray());
            loaded = file.Load("s");
        }
        using (loaded)
            Assert.Equal(new short[] { 1, -2, 300 }, loaded.data<short>().ToArray());
    }

    [Fact]
    public void WriteIsAtomicAndLeavesNoTemporaryFiles()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        File.WriteAllText(path, "previous content");
        using var x = torch.ones(2);

        SafetensorsWriter.Write(path, [new("x", x)], new Dictionary<string, string> { ["note"] = "custom" });

        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("custom", file.Metadata["note"]);
        Assert.False(file.Metadata.ContainsKey("format"));
    }

    [Fact]
    public void UnsupportedDtypeAndDuplicateNamesAreRefusedWithTheTensorName()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.safetensors");
        using var complex = torch.zeros(2, dtype: ScalarType.ComplexFloat32);
        using var x = torch.ones(2);

        var unsupported = Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Write(path, [new("z", complex)]));
        Assert.Contains("'z'", unsupported.Message);
        Assert.Contains("ComplexFloat32", unsupported.Message);

        var duplicate = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new("x", x), new("x", x)]));
        Assert.Contains("'x'", duplicate.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void DtypeMappingCoversTheListAndRejectsOthers()
    {
        foreach (var name in SafetensorsDtype.Supported)
            Assert.Equal(name, SafetensorsDtype.ToName(SafetensorsDtype.ToScalarType(name)));
        Assert.Equal(2, SafetensorsDtype.ElementSize("BF16"));
        Assert.Equal(8, SafetensorsDtype.ElementSize(ScalarType.Int64));
        Assert.Contains("F8_E4M3", Assert.Throws<ArgumentException>(() => SafetensorsDtype.ToScalarType("F8_E4M3")).Message);
        Assert.Contains("ComplexFloat64", Assert.Throws<NotSupportedException>(() => SafetensorsDtype.ToName(ScalarType.ComplexFloat64)).Message);
    }

    internal static Tensor Sample(ScalarType type, params long[] shape)
    {
        using var normal = torch.randn(shape) * 100;
        return type switch
        {
            ScalarType.Bool => normal.gt(0),
            ScalarType.Byte => normal.abs().remainder(256).to_type(type),
            ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64 => normal.to_type(type),
            _ => normal.to_type(type),
        };
    }

    internal static void AssertSameTensor(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(DeviceType.CPU, actual.device_type);
        using var contiguous = expected.contiguous();
        Assert.Equal(contiguous.bytes.ToArray(), actual.bytes.ToArray());
    }
}
