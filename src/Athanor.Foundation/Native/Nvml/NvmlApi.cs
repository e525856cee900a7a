using System.Runtime.InteropServices;
using Athanor.Native.Cuda;

namespace Athanor.Native.Nvml;

/// <summary>
/// NVML's entry points (libnvidia-ml.so.1, installed by the driver), bound lazily as unmanaged function
/// pointers. Signatures follow nvml.h: nvmlReturn_t is a C enum (int), nvmlDevice_t a pointer.
/// </summary>
internal static unsafe class NvmlApi
{
    internal const int Success = 0;
    internal const int ErrorNotSupported = 3;   // NVML_ERROR_NOT_SUPPORTED
    internal const int TemperatureGpu = 0;      // NVML_TEMPERATURE_GPU
    internal const int NameBufferSize = 96;     // NVML_DEVICE_NAME_V2_BUFFER_SIZE
    internal const int UuidBufferSize = 96;     // NVML_DEVICE_UUID_V2_BUFFER_SIZE
    // nvmlTemperature_v1 = NVML_STRUCT_VERSION(Temperature, 1) = sizeof(nvmlTemperature_v1_t) | 1 << 24
    internal static readonly uint TemperatureV1 = (uint)sizeof(Temperature) | 1u << 24;

    internal static readonly NativeApi Library = new(
        "NVML (libnvidia-ml)",
        "It comes with the NVIDIA driver: install the driver, or run where nvidia-smi works.",
        () => ["libnvidia-ml.so.1", "libnvidia-ml.so"]);

    /// <summary>nvmlUtilization_t: percent of the last sample period with a kernel running / device memory busy.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Utilization { public uint Gpu; public uint Memory; }

    /// <summary>nvmlMemory_t (v1): bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Memory { public ulong Total; public ulong Free; public ulong Used; }

    /// <summary>nvmlTemperature_v1_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Temperature { public uint Version; public int SensorType; public int Value; }

    private static delegate* unmanaged<int> _init;
    private static delegate* unmanaged<int> _shutdown;
    private static delegate* unmanaged<int, byte*> _errorString;
    private static delegate* unmanaged<uint*, int> _getCount;
    private static delegate* unmanaged<uint, IntPtr*, int> _getHandleByIndex;
    private static delegate* unmanaged<IntPtr, byte*, uint, int> _getName;
    private static delegate* unmanaged<IntPtr, byte*, uint, int> _getUuid;
    private static delegate* unmanaged<IntPtr, Utilization*, int> _getUtilization;
    private static delegate* unmanaged<IntPtr, Memory*, int> _getMemory;
    private static delegate* unmanaged<IntPtr, uint*, int> _getPower;
    private static delegate* unmanaged<IntPtr, int, uint*, int> _getTemperature;
    private static delegate* unmanaged<IntPtr, Temperature*, int> _getTemperatureV;

    // nvmlReturn_t nvmlInit_v2(void)
    internal static int Init() =>
        (_init != null ? _init : _init = (delegate* unmanaged<int>)Library.Resolve("nvmlInit_v2", "nvmlInit"))();

    // nvmlReturn_t nvmlShutdown(void)
    internal static int Shutdown() =>
        (_shutdown != null ? _shutdown : _shutdown = (delegate* unmanaged<int>)Library.Resolve("nvmlShutdown"))();

    // const char* nvmlErrorString(nvmlReturn_t result)
    internal static byte* ErrorString(int result) =>
        (_errorString != null ? _errorString : _errorString = (delegate* unmanaged<int, byte*>)Library.Resolve("nvmlErrorString"))(result);

    // nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount)
    internal static int DeviceGetCount(uint* count) =>
        (_getCount != null ? _getCount : _getCount = (delegate* unmanaged<uint*, int>)Library.Resolve("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"))(count);

    // nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device)
    internal static int DeviceGetHandleByIndex(uint index, IntPtr* device) =>
        (_getHandleByIndex != null ? _getHandleByIndex : _getHandleByIndex = (delegate* unmanaged<uint, IntPtr*, int>)Library.Resolve("nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"))(index, device);

    // nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length)
    internal static int DeviceGetName(IntPtr device, byte* name, uint length) =>
        (_getName != null ? _getName : _getName = (delegate* unmanaged<IntPtr, byte*, uint, int>)Library.Resolve("nvmlDeviceGetName"))(device, name, length);

    // nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length)
    internal static int DeviceGetUuid(IntPtr device, byte* uuid, uint length) =>
        (_getUuid != null ? _getUuid : _getUuid = (delegate* unmanaged<IntPtr, byte*, uint, int>)Library.Resolve("nvmlDeviceGetUUID"))(device, uuid, length);

    // nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* utilization)
    internal static int DeviceGetUtilizationRates(IntPtr device, Utilization* utilization) =>
        (_getUtilization != null ? _getUtilization : _getUtilization = (delegate* unmanaged<IntPtr, Utilization*, int>)Library.Resolve("nvmlDeviceGetUtilizationRates"))(device, utilization);

    // nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory)
    internal static int DeviceGetMemoryInfo(IntPtr device, Memory* memory) =>
        (_getMemory != null ? _getMemory : _getMemory = (delegate* unmanaged<IntPtr, Memory*, int>)Library.Resolve("nvmlDeviceGetMemoryInfo"))(device, memory);

    // nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power)  (milliwatts)
    internal static int DeviceGetPowerUsage(IntPtr device, uint* milliwatts) =>
        (_getPower != null ? _getPower : _getPower = (delegate* unmanaged<IntPtr, uint*, int>)Library.Resolve("nvmlDeviceGetPowerUsage"))(device, milliwatts);

    /// <summary>GPU temperature in C: nvmlDeviceGetTemperatureV where exported (nvmlDeviceGetTemperature is deprecated from CUDA 13), else the old call.</summary>
    internal static int DeviceGetTemperature(IntPtr device, out int celsius)
    {
        if (_getTemperatureV == null && Library.TryResolve("nvmlDeviceGetTemperatureV", out var v))
            _getTemperatureV = (delegate* unmanaged<IntPtr, Temperature*, int>)v;
        if (_getTemperatureV != null)
        {
            // nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t device, nvmlTemperature_t* temperature)
            var t = new Temperature { Version = TemperatureV1, SensorType = TemperatureGpu };
            int rc = _getTemperatureV(device, &t);
            celsius = t.Value;
            return rc;
        }
        // nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int* temp)
        if (_getTemperature == null) _getTemperature = (delegate* unmanaged<IntPtr, int, uint*, int>)Library.Resolve("nvmlDeviceGetTemperature");
        uint value;
        int result = _getTemperature(device, TemperatureGpu, &value);
        celsius = (int)value;
        return result;
    }
}
