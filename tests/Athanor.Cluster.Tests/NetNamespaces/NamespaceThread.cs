using System.Runtime.InteropServices;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>
/// Runs code on a thread of its own that has entered a lab host's network namespace (setns is per thread): sockets it
/// opens live in that host's stack, so one test process can hold ranks on several hosts.
/// </summary>
public static class NamespaceThread
{
    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    public static Task<T> Run<T>(LabHost host, Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using (var ns = File.OpenHandle($"/run/netns/{host.Namespace}"))
                    if (setns((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                        throw new InvalidOperationException($"setns into {host.Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
                done.SetResult(body());
            }
            catch (Exception ex) { done.SetException(ex); }
        }) { IsBackground = true, Name = "netns-" + host.Name };
        thread.Start();
        return done.Task;
    }
}
