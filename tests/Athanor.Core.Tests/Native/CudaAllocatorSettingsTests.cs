using System.Runtime.InteropServices;
using Athanor.Native;

namespace Athanor.Tests.Native;

/// <summary>The allocator default reaches the native environment libtorch reads, and a user's own setting wins.</summary>
public class CudaAllocatorSettingsTests
{
    [DllImport("libc")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern int unsetenv(string name);

    [Fact]
    public void ExpandableSegmentsAreSetNativelyUnlessTheUserChoseOtherwise()
    {
        string? before = CudaAllocatorSettings.Get(CudaAllocatorSettings.Variable), newer = CudaAllocatorSettings.Get(CudaAllocatorSettings.NewVariable);
        try
        {
            unsetenv(CudaAllocatorSettings.Variable);
            unsetenv(CudaAllocatorSettings.NewVariable);
            Assert.Null(CudaAllocatorSettings.Get(CudaAllocatorSettings.Variable));
            Assert.Equal("expandable_segments:True", CudaAllocatorSettings.Apply());
            Assert.Equal("expandable_segments:True", CudaAllocatorSettings.Get(CudaAllocatorSettings.Variable));

            setenv(CudaAllocatorSettings.Variable, "max_split_size_mb:128", 1);
            Assert.Equal("max_split_size_mb:128", CudaAllocatorSettings.Apply());
            Assert.Equal("max_split_size_mb:128", CudaAllocatorSettings.Get(CudaAllocatorSettings.Variable));

            unsetenv(CudaAllocatorSettings.Variable);
            setenv(CudaAllocatorSettings.NewVariable, "expandable_segments:False", 1);
            Assert.Equal("expandable_segments:False", CudaAllocatorSettings.Apply());
            Assert.Null(CudaAllocatorSettings.Get(CudaAllocatorSettings.Variable));
        }
        finally
        {
            if (before is null) unsetenv(CudaAllocatorSettings.Variable); else setenv(CudaAllocatorSettings.Variable, before, 1);
            if (newer is null) unsetenv(CudaAllocatorSettings.NewVariable); else setenv(CudaAllocatorSettings.NewVariable, newer, 1);
        }
    }
}
