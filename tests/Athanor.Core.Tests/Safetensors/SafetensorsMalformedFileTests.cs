using Athanor.Checkpoints.Safetensors;
using TorchSharp;

namespace Athanor.Tests.Safetensors;

/// <summary>Every way a header can be wrong is refused on open, with the file, the tensor and the problem named.</summary>
public class SafetensorsMalformedFileTests
{
    [Fact]
    public void ShapeThatDisagreesWithTheByteRangeIsNamed()
    {
        AssertRejected("""{"lm_head.weight":{"dtype":"F32","shape":[32,64],"data_offsets":[0,4096]}}""", 4096,
            "tensor 'lm_head.weight' has shape [32,64] (8192 bytes as F32) but data_offsets span 4096 bytes");
    }

    [Fact]
    public void UnknownDtypeIsNamedWithTheAcceptedList()
    {
        AssertRejected("""{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4,
            "tensor 'w'", "'F8_E4M3'", "BF16, F16, F32");
    }

    [Fact]
    public void NegativeDimensionIsNamed()
    {
        AssertRejected("""{"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]}}""", 24,
            "tensor 'w'", "negative dimension -3 at index 1");
    }

    [Fact]
    public void OffsetsPastTheDataSectionAreNamed()
    {
        AssertRejected("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8,
            "tensor 'w'", "[0,16]", "only 8 bytes");
    }

    [Fact]
    public void OverlappingRangesNameBothTensors()
    {
        AssertRejected(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12,
            "tensor 'b'", "overlapping tensor 'a'");
    }

    [Fact]
    public void GapBetweenTensorsIsNamed()
    {
        AssertRejected(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", 16,
            "tensor 'b'", "starts at data offset 12", "after tensor 'a'");
    }

    [Fact]
    public void BytesLeftOverAfterTheLastTensorAreRefused()
    {
        AssertRejected("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12,
            "holds 12 bytes but the tensors cover only 8", "tensor 'a'");
    }

    [Fact]
    public void EndBeforeBeginIsRefused()
    {
        AssertRejected("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}}""", 8, "tensor 'a'", "[8,4]");
    }

    [Fact]
    public void MissingFieldsAndWrongTypesAreNamed()
    {
        AssertRejected("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "tensor 'a'", "'shape'");
        AssertRejected("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "tensor 'a'", "data_offsets");
        AssertRejected("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "tensor 'a'", "1.5");
        AssertRejected("""{"a":[1,2,3]}""", 0, "tensor 'a'", "expected an object");
    }

    [Fact]
    public void DuplicateTensorNameIsRefused()
    {
        AssertRejected(
            """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2,
            "tensor 'a'", "twice");
    }

    [Fact]
    public void NonStringMetadataValueIsNamed()
    {
        AssertRejected("""{"__metadata__":{"step":12}}""", 0, "'step'", "must be strings");
    }

    [Fact]
    public void InvalidJsonIsRefused()
    {
        AssertRejected("""{"w":{"dtype":"F32", """, 0, "not valid JSON");
        AssertRejected("""[1,2]""", 0, "header is a JSON Array");
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRefused()
    {
        using var folder = new TempFolder();
        var bytes = RawSafetensors.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        bytes[0] = 0xE8; bytes[1] = 0x03; // claims a 1000-byte header in a file of about 70 bytes
        var path = folder.File("long-header.safetensors");
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith(path + ":", ex.Message);
        Assert.Contains("header length 1000 runs past the end of the file", ex.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefixIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("3 bytes", ex.Message);
    }

    [Fact]
    public void TruncatedFileNamesTheTensorThatNoLongerFits()
    {
        using var folder = new TempFolder();
        var path = folder.File("truncated.safetensors");
        using var a = torch.ones(64);
        using var b = torch.ones(64);
        SafetensorsWriter.Write(path, [new("a", a), new("b", b)]); // laid out by name: b comes last
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(stream.Length - 10);

        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("tensor 'b'", ex.Message);
        Assert.Contains("truncated", ex.Message);

        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(20); // now inside the header
        var inHeader = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("runs past the end of the file", inHeader.Message);
    }

    [Fact]
    public void MissingTensorNameIsAKeyNotFoundNamingTheFile()
    {
        using var folder = new TempFolder();
        var path = RawSafetensors.Write(folder, "ok.safetensors", """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 2);
        using var file = SafetensorsFile.Open(path);

        var ex = Assert.Throws<SafetensorsTensorNotFoundException>(() => file.Load("b"));
        Assert.IsAssignableFrom<KeyNotFoundException>(ex);
        Assert.Contains("'b'", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    private static void AssertRejected(string headerJson, int dataBytes, params string[] fragments)
    {
        using var folder = new TempFolder();
        var path = RawSafetensors.Write(folder, "model.safetensors", headerJson, dataBytes);
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith(path + ":", ex.Message);
        Assert.Equal(path, ex.FilePath);
        foreach (var fragment in fragments)
            Assert.Contains(fragment, ex.Message);
    }
}
