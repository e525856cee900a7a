using Athanor.IO;

namespace Athanor.Tests.IO;

public class FileLinkTests
{
    [Fact]
    public void ALinkedFileHasTheSourcesBytesAndOutlivesTheSource()
    {
        using var temp = new TestPaths.TempFolder();
        string source = Path.Combine(temp.Path, "checkpoint-30", "model.safetensors"), destination = Path.Combine(temp.Path, "model.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllBytes(source, [1, 2, 3, 4]);
        File.WriteAllBytes(destination, [9]); // an earlier final output is replaced
        Assert.True(FileLink.LinkOrCopy(source, destination), "same folder tree on Linux: expected a hard link, not a copy");
        Directory.Delete(Path.GetDirectoryName(source)!, recursive: true); // save_total_limit removes the checkpoint
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(destination));
    }

    [Fact]
    public void AMissingSourceIsAnError()
    {
        using var temp = new TestPaths.TempFolder();
        Assert.ThrowsAny<IOException>(() => FileLink.LinkOrCopy(Path.Combine(temp.Path, "absent"), Path.Combine(temp.Path, "out")));
    }
}
