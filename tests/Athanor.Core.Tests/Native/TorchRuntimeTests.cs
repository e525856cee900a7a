using System.Text;
using Athanor.Native;
using TorchSharp;

namespace Athanor.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void LibtorchLoadsAndComputes()
    {
        TorchRuntime.Initialize();
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
    }

    [Fact]
    public void EveryCopyOfLibTorchSharpInTheOutputHasAWeakGlibcxx3432Reference()
    {
        var copies = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(copies);
        foreach (var path in copies)
            Assert.True(ElfVersionProbe.IsVersionReferenceWeak(path, "GLIBCXX_3.4.32"), $"{path}: GLIBCXX_3.4.32 is still a hard requirement");
    }
}

/// <summary>Reads an ELF file's .gnu.version_r to tell whether a needed symbol version is marked weak.</summary>
internal static class ElfVersionProbe
{
    public static bool IsVersionReferenceWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(bytes, 0x28);
        int shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        int shnum = BitConverter.ToUInt16(bytes, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + (long)i * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != 0x6ffffffe) continue;
            long vn = BitConverter.ToInt64(bytes, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(bytes, sh + 0x28);
            int count = (int)BitConverter.ToUInt32(bytes, sh + 0x2C);
            long strtab = BitConverter.ToInt64(bytes, (int)(shoff + (long)link * shentsize) + 0x18);
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(bytes, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(bytes, (int)vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int nameAt = (int)(strtab + BitConverter.ToUInt32(bytes, (int)aux + 8));
                    int end = Array.IndexOf(bytes, (byte)0, nameAt);
                    if (Encoding.ASCII.GetString(bytes, nameAt, end - nameAt) == version)
                        return (BitConverter.ToUInt16(bytes, (int)aux + 4) & 0x2) != 0;
                    aux += BitConverter.ToUInt32(bytes, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(bytes, (int)vn + 12);
            }
        }
        return true; // no such reference at all: nothing to fail on
    }
}
