namespace Athanor.Chart.Tests;

/// <summary>Values files the tests render with (YAML over the chart's values.yaml).</summary>
internal static class ChartValues
{
    public const string JournalSecret = """
        journal:
          existingSecret: pg
        """;

    /// <summary>A GPU pool: 8 GPUs a member, the pool's label and taint, a ServiceMonitor.</summary>
    public const string GpuPool = """
        journal:
          existingSecret: pg
          key: dsn
        gpu:
          count: 8
        nodeSelector:
          nvidia.com/gpu.present: "true"
          cloud.google.com/gke-accelerator: nvidia-h100-80gb
        tolerations:
          - key: nvidia.com/gpu
            operator: Exists
            effect: NoSchedule
        telemetry:
          serviceMonitor:
            enabled: true
            labels:
              release: prometheus
        """;
}
