namespace Athanor.Configuration;

/// <summary>What kind of training the job runs (LLaMA-Factory's <c>stage</c>).</summary>
public enum TrainingStage
{
    /// <summary>Supervised fine-tuning on prompt/response conversations.</summary>
    Sft,

    /// <summary>(Continued) pre-training on plain text.</summary>
    Pt,

    /// <summary>Preference training on chosen/rejected pairs (issue 23; the loss is <c>pref_loss</c>).</summary>
    Dpo,

    /// <summary>Kahneman-Tversky optimization on responses tagged desirable or undesirable (issue 23).</summary>
    Kto,
}

/// <summary>Which weights are trained (<c>finetuning_type</c>).</summary>
public enum FinetuningType
{
    Full,
    Lora,
}

/// <summary>Where the model's starting weights come from (<c>init</c>).</summary>
public enum WeightInit
{
    /// <summary>Load the safetensors weights from the model folder.</summary>
    Pretrained,

    /// <summary>Random weights shaped by the folder's config.json (the demo uses this).</summary>
    Random,
}

/// <summary>Learning-rate schedule after warmup (<c>lr_scheduler_type</c>).</summary>
public enum LrSchedulerType
{
    Linear,
    Cosine,
    Constant,
    ConstantWithWarmup,
}

/// <summary>When evaluation runs (<c>eval_strategy</c>).</summary>
public enum EvalStrategy
{
    No,
    Steps,
    Epoch,
}

/// <summary>What the data pipeline does with a record it cannot use (<c>on_bad_record</c>).</summary>
public enum BadRecordPolicy
{
    Error,
    Skip,
}
