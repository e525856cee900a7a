namespace Athanor.Native.Cuda;

/// <summary>
/// The CUDA runtime (libcudart) entry points we call, bound lazily as unmanaged function pointers.
/// Signatures follow cuda_runtime_api.h (cudaError_t is a C enum: int; size_t: nuint; handles: pointers).
/// </summary>
internal static unsafe class CudaApi
{
    internal const int Success = 0;
    internal const int ErrorNotReady = 600;           // cudaErrorNotReady
    internal const uint StreamNonBlocking = 0x01;     // cudaStreamNonBlocking
    internal const uint EventDefault = 0x00;          // cudaEventDefault
    internal const uint EventDisableTiming = 0x02;    // cudaEventDisableTiming
    internal const int AttrMultiProcessorCount = 16;  // cudaDevAttrMultiProcessorCount
    internal const int AttrComputeCapabilityMajor = 75;
    internal const int AttrComputeCapabilityMinor = 76;

    internal static readonly NativeApi Library = new(
        "the CUDA runtime (libcudart)",
        "Install the NVIDIA driver and a CUDA 12 or 13 runtime (PyTorch's CUDA wheels bring one), or add its folder to LD_LIBRARY_PATH.",
        Candidates);

    private static IEnumerable<string> Candidates()
    {
        string[] names = ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];
        foreach (var name in names) yield return name;
        // PyTorch's wheels keep the runtime next to libtorch's site-packages, which the loader may not search.
        if (TorchRuntime.CudaLibtorch is string torchLib)
        {
            var sitePackages = Path.GetFullPath(Path.Combine(torchLib, "..", ".."));
            foreach (var sub in new[] { "nvidia/cu13/lib", "nvidia/cuda_runtime/lib" })
                foreach (var name in names[..2])
                    yield return Path.Combine(sitePackages, sub, name);
        }
        foreach (var folder in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib" })
            foreach (var name in names[..2])
                yield return Path.Combine(folder, name);
    }

    private static delegate* unmanaged<int*, int> _getDeviceCount;
    private static delegate* unmanaged<int, int> _setDevice;
    private static delegate* unmanaged<int*, int> _getDevice;
    private static delegate* unmanaged<int*, int, int, int> _deviceGetAttribute;
    private static delegate* unmanaged<nuint*, nuint*, int> _memGetInfo;
    private static delegate* unmanaged<int*, int> _driverGetVersion;
    private static delegate* unmanaged<int*, int> _runtimeGetVersion;
    private static delegate* unmanaged<int, byte*> _getErrorString;
    private static delegate* unmanaged<int, byte*> _getErrorName;
    private static delegate* unmanaged<IntPtr*, uint, int> _streamCreateWithFlags;
    private static delegate* unmanaged<IntPtr, int> _streamDestroy;
    private static delegate* unmanaged<IntPtr, int> _streamSynchronize;
    private static delegate* unmanaged<IntPtr, int> _streamQuery;
    private static delegate* unmanaged<IntPtr*, uint, int> _eventCreateWithFlags;
    private static delegate* unmanaged<IntPtr, int> _eventDestroy;
    private static delegate* unmanaged<IntPtr, IntPtr, int> _eventRecord;
    private static delegate* unmanaged<IntPtr, int> _eventSynchronize;
    private static delegate* unmanaged<IntPtr, int> _eventQuery;
    private static delegate* unmanaged<IntPtr, IntPtr, uint, int> _streamWaitEvent;
    private static delegate* unmanaged<float*, IntPtr, IntPtr, int> _eventElapsedTime;

    // cudaError_t cudaGetDeviceCount(int* count)
    internal static int GetDeviceCount(int* count) =>
        (_getDeviceCount != null ? _getDeviceCount : _getDeviceCount = (delegate* unmanaged<int*, int>)Library.Resolve("cudaGetDeviceCount"))(count);

    // cudaError_t cudaSetDevice(int device)
    internal static int SetDevice(int device) =>
        (_setDevice != null ? _setDevice : _setDevice = (delegate* unmanaged<int, int>)Library.Resolve("cudaSetDevice"))(device);

    // cudaError_t cudaGetDevice(int* device)
    internal static int GetDevice(int* device) =>
        (_getDevice != null ? _getDevice : _getDevice = (delegate* unmanaged<int*, int>)Library.Resolve("cudaGetDevice"))(device);

    // cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device)
    internal static int DeviceGetAttribute(int* value, int attribute, int device) =>
        (_deviceGetAttribute != null ? _deviceGetAttribute : _deviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Library.Resolve("cudaDeviceGetAttribute"))(value, attribute, device);

    // cudaError_t cudaMemGetInfo(size_t* free, size_t* total)
    internal static int MemGetInfo(nuint* free, nuint* total) =>
        (_memGetInfo != null ? _memGetInfo : _memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)Library.Resolve("cudaMemGetInfo"))(free, total);

    // cudaError_t cudaDriverGetVersion(int* driverVersion)
    internal static int DriverGetVersion(int* version) =>
        (_driverGetVersion != null ? _driverGetVersion : _driverGetVersion = (delegate* unmanaged<int*, int>)Library.Resolve("cudaDriverGetVersion"))(version);

    // cudaError_t cudaRuntimeGetVersion(int* runtimeVersion)
    internal static int RuntimeGetVersion(int* version) =>
        (_runtimeGetVersion != null ? _runtimeGetVersion : _runtimeGetVersion = (delegate* unmanaged<int*, int>)Library.Resolve("cudaRuntimeGetVersion"))(version);

    // const char* cudaGetErrorString(cudaError_t error)
    internal static byte* GetErrorString(int error) =>
        (_getErrorString != null ? _getErrorString : _getErrorString = (delegate* unmanaged<int, byte*>)Library.Resolve("cudaGetErrorString"))(error);

    // const char* cudaGetErrorName(cudaError_t error)
    internal static byte* GetErrorName(int error) =>
        (_getErrorName != null ? _getErrorName : _getErrorName = (delegate* unmanaged<int, byte*>)Library.Resolve("cudaGetErrorName"))(error);

    // cudaError_t cudaStreamCreateWithFlags(cudaStream_t* pStream, unsigned int flags)
    internal static int StreamCreateWithFlags(IntPtr* stream, uint flags) =>
        (_streamCreateWithFlags != null ? _streamCreateWithFlags : _streamCreateWithFlags = (delegate* unmanaged<IntPtr*, uint, int>)Library.Resolve("cudaStreamCreateWithFlags"))(stream, flags);

    // cudaError_t cudaStreamDestroy(cudaStream_t stream)
    internal static int StreamDestroy(IntPtr stream) =>
        (_streamDestroy != null ? _streamDestroy : _streamDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaStreamDestroy"))(stream);

    // cudaError_t cudaStreamSynchronize(cudaStream_t stream)
    internal static int StreamSynchronize(IntPtr stream) =>
        (_streamSynchronize != null ? _streamSynchronize : _streamSynchronize = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaStreamSynchronize"))(stream);

    // cudaError_t cudaStreamQuery(cudaStream_t stream): cudaSuccess when idle, cudaErrorNotReady while work is pending
    internal static int StreamQuery(IntPtr stream) =>
        (_streamQuery != null ? _streamQuery : _streamQuery = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaStreamQuery"))(stream);

    // cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags): later work on stream waits for event
    internal static int StreamWaitEvent(IntPtr stream, IntPtr cudaEvent, uint flags) =>
        (_streamWaitEvent != null ? _streamWaitEvent : _streamWaitEvent = (delegate* unmanaged<IntPtr, IntPtr, uint, int>)Library.Resolve("cudaStreamWaitEvent"))(stream, cudaEvent, flags);

    // cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags)
    internal static int EventCreateWithFlags(IntPtr* cudaEvent, uint flags) =>
        (_eventCreateWithFlags != null ? _eventCreateWithFlags : _eventCreateWithFlags = (delegate* unmanaged<IntPtr*, uint, int>)Library.Resolve("cudaEventCreateWithFlags"))(cudaEvent, flags);

    // cudaError_t cudaEventDestroy(cudaEvent_t event)
    internal static int EventDestroy(IntPtr cudaEvent) =>
        (_eventDestroy != null ? _eventDestroy : _eventDestroy = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaEventDestroy"))(cudaEvent);

    // cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream)
    internal static int EventRecord(IntPtr cudaEvent, IntPtr stream) =>
        (_eventRecord != null ? _eventRecord : _eventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)Library.Resolve("cudaEventRecord"))(cudaEvent, stream);

    // cudaError_t cudaEventSynchronize(cudaEvent_t event)
    internal static int EventSynchronize(IntPtr cudaEvent) =>
        (_eventSynchronize != null ? _eventSynchronize : _eventSynchronize = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaEventSynchronize"))(cudaEvent);

    // cudaError_t cudaEventQuery(cudaEvent_t event): cudaSuccess once complete, cudaErrorNotReady before
    internal static int EventQuery(IntPtr cudaEvent) =>
        (_eventQuery != null ? _eventQuery : _eventQuery = (delegate* unmanaged<IntPtr, int>)Library.Resolve("cudaEventQuery"))(cudaEvent);

    // cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end); CUDA 12.8+ also exports the
    // same signature as cudaEventElapsedTime_v2, the fallback should a runtime drop the old name.
    internal static int EventElapsedTime(float* ms, IntPtr start, IntPtr end) =>
        (_eventElapsedTime != null ? _eventElapsedTime : _eventElapsedTime = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)Library.Resolve("cudaEventElapsedTime", "cudaEventElapsedTime_v2"))(ms, start, end);
}
