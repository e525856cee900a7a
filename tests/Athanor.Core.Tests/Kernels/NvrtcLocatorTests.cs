using Athanor.Kernels;

namespace Athanor.Tests.Kernels;

public sealed class NvrtcLocatorTests
{
    [Fact]
    public void When_nothing_is_found_the_message_lists_every_name_and_folder_tried()
    {
        string torchLib = Path.Combine(Path.GetTempPath(), "athanor-no-torch", "site-packages", "torch", "lib");
        var found = NvrtcLocator.Load(null, torchLib, ["libnvrtc-athanor-missing.so.99"], out var problem);
        Assert.Null(found);
        Assert.Contains("libnvrtc-athanor-missing.so.99", problem);
        Assert.Contains("ATHANOR_NVRTC", problem);
        // PyTorch's pip folders beside torch/lib are part of the search and named in the message.
        Assert.Contains(Path.Combine(Path.GetTempPath(), "athanor-no-torch", "site-packages", "nvidia", "cu13", "lib"), problem);
    }

    [Fact]
    public void An_override_that_cannot_be_loaded_is_named_and_not_silently_skipped()
    {
        var found = NvrtcLocator.Load("/nonexistent/libnvrtc.so.13", null, out var problem);
        Assert.Null(found);
        Assert.Contains("ATHANOR_NVRTC=/nonexistent/libnvrtc.so.13", problem);
    }

    [Fact]
    public void The_search_order_puts_the_newest_soname_first_and_the_pip_folders_last()
    {
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], NvrtcLocator.SonameOrder);
        var folders = NvrtcLocator.SearchFolders("/opt/torch/.venv/lib/python3.12/site-packages/torch/lib").ToList();
        Assert.Contains("/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib", folders);
        int lastToolkit = folders.FindLastIndex(f => f.StartsWith("/usr/local/cuda", StringComparison.Ordinal));
        int firstPip = folders.FindIndex(f => f.Contains("/nvidia/", StringComparison.Ordinal));
        Assert.True(lastToolkit >= 0 && firstPip > lastToolkit, string.Join(", ", folders));
    }
}
