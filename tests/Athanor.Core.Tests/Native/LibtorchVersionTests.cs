using Athanor.Native;

namespace Athanor.Tests.Native;

public class LibtorchVersionTests
{
    [Fact]
    public void The_pytorch_version_comes_from_version_py_beside_lib()
    {
        using var temp = new TestPaths.TempFolder();
        var lib = Directory.CreateDirectory(Path.Combine(temp.Path, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(temp.Path, "torch", "version.py"),
            "from typing import Optional\n__all__ = ['__version__']\n__version__ = '2.11.0+cu130'\ndebug = False\ncuda: Optional[str] = '13.0'\n");
        Assert.Equal("2.11.0+cu130", LibtorchLocator.ReadVersion(lib));
        Assert.Equal("2.11.0+cu130", new LibtorchLocator.Found(lib, "test").Version);
    }

    [Fact]
    public void A_folder_without_version_py_has_no_version()
    {
        using var temp = new TestPaths.TempFolder();
        Assert.Null(LibtorchLocator.ReadVersion(Path.Combine(temp.Path, "lib")));
    }
}
