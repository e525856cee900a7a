using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Native;
using TorchSharp;

namespace Athanor.Tests.Jobs;

public class JobDeviceTests
{
    public JobDeviceTests() => TorchRuntime.Initialize();

    [Fact]
    public void A_cuda_job_on_a_machine_without_cuda_libtorch_says_what_to_do()
    {
        var ex = Assert.Throws<JobException>(() => JobDevice.Check(new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", Device = "cuda" }));
        Assert.StartsWith("device: cuda: ", ex.Message);
        Assert.Contains("cluster doctor", ex.Message);
    }

    [Fact]
    public void A_cpu_rank_stays_on_the_cpu_and_gets_the_configured_checkpointing()
    {
        var config = new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", GradientCheckpointing = true, GradientCheckpointingEvery = 2 };
        Assert.Equal(2, config.CheckpointInterval);
        Assert.Equal(0, (config with { GradientCheckpointing = false }).CheckpointInterval);
        Assert.Equal(DeviceType.CPU, JobDevice.For(config, rank: 3).type);
    }

    [Fact]
    public void Out_of_memory_advice_names_the_job_keys_that_help()
    {
        var config = new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 2, FinetuningType = FinetuningType.Full };
        var oom = new Athanor.Training.DeviceOutOfMemoryException("out of GPU memory in step 1 on cuda:0 (79.1 of 79.6 GiB in use)", new Exception("CUDA out of memory"));
        var text = OutOfMemoryAdvice.Explain(config, worldSize: 4, oom);
        Assert.Contains("79.1 of 79.6 GiB", text);
        Assert.Contains("gradient_checkpointing: true", text);
        Assert.Contains("per_device_train_batch_size: 4 with gradient_accumulation_steps: 4", text);
        Assert.Contains("zero_stage: 2", text);
        Assert.Contains("finetuning_type: lora", text);
    }
}
