using System.Text;
using Athanor.Telemetry.TensorBoard;

namespace Athanor.Tests.Telemetry.TensorBoard;

public class Crc32CTests
{
    [Fact]
    public void CheckValueOfTheCastagnoliPolynomial()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    // RFC 3720 (iSCSI), appendix B.4: CRC-32C of four 32-byte patterns.
    [Theory]
    [InlineData("zeros", 0x8A9136AAu)]
    [InlineData("ones", 0x62A8AB43u)]
    [InlineData("incrementing", 0x46DD794Eu)]
    [InlineData("decrementing", 0x113FDB5Cu)]
    public void Rfc3720Vectors(string pattern, uint expected)
    {
        var data = pattern switch
        {
            "zeros" => new byte[32],
            "ones" => Enumerable.Repeat((byte)0xFF, 32).ToArray(),
            "incrementing" => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(),
            _ => Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(),
        };
        Assert.Equal(expected, Crc32C.Compute(data));
    }

    [Fact]
    public void SplitAtEveryOffset_TheWordLoopAndTheByteTailAgree()
    {
        // Compute reads eight bytes at a time, then the tail byte by byte: every split of one buffer must give its CRC.
        var data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        Assert.Equal(0x22620404u, Crc32C.Compute(data)); // a published CRC-32C check value of this sentence
        for (int start = 0; start < 9; start++)
            Assert.Equal(TfEventReader.MaskedCrc32C(data.AsSpan(start)), Crc32C.Masked(data.AsSpan(start)));
    }

    [Fact]
    public void MaskRotatesAndAddsTheTfRecordConstant()
    {
        Assert.Equal(0xA282EAD8u, Crc32C.Masked([])); // the CRC of nothing is 0, so only the constant remains
        Assert.Equal(0xC78AB0E5u, Crc32C.Masked(Encoding.ASCII.GetBytes("123456789"))); // rotr(0xE3069283, 15) + 0xA282EAD8
        Assert.Equal(0xC78AB0E5u, Crc32C.Mask(0xE3069283u));
    }

    [Fact]
    public void WriterAndTheTestsBitwiseReferenceAgreeOnEveryLength()
    {
        var random = new Random(5);
        for (int length = 0; length < 300; length += 7)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(TfEventReader.MaskedCrc32C(data), Crc32C.Masked(data));
        }
    }

    [Fact]
    public void FileVersionRecordStartsWithTheHeaderEveryTensorFlowEventFileHas()
    {
        // A TensorFlow or torch event file starts 18 00 00 00 00 00 00 00 a3 7f 4b 22: the 24-byte file_version
        // event (wall_time, "brain.Event:2") and the masked CRC-32C of that length.
        using var temp = new TestPaths.TempFolder();
        string path;
        using (var writer = new EventFileWriter(temp.Path)) path = writer.Path;
        var head = File.ReadAllBytes(path)[..12];
        Assert.Equal(Convert.FromHexString("1800000000000000A37F4B22"), head);
    }
}
