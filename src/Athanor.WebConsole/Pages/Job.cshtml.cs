using Athanor.Node.Backend;
using Athanor.WebConsole.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>
/// One job: its record, effective config and a cancel form; console.js follows its event stream
/// (/console/api/jobs/{id}/events) for the curves, attempts, checkpoints and log.
/// </summary>
public sealed class JobModel(IJobBackend backend, JobFiles files) : PageModel
{
    public static readonly (string Key, string Title)[] Charts =
    [
        ("loss", "Loss"), ("eval_loss", "Eval loss"), ("lr", "Learning rate"), ("grad_norm", "Grad norm"),
        ("tokens_per_s", "Tokens/s"), ("mfu", "MFU (GPU)"), ("gpu_mem_gib", "GPU memory GiB"),
    ];

    public JobView? Job { get; private set; }
    public string? ConfigYaml { get; private set; }
    public string? Error { get; private set; }
    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancel)
    {
        await Load(id, cancel);
        return Page();
    }

    public async Task<IActionResult> OnPostCancelAsync(string id, CancellationToken cancel)
    {
        if (ConsoleJobId.IsValid(id))
        {
            try
            {
                var after = await backend.CancelAsync(id, cancel);
                Message = after.State == JobState.Cancelled ? "cancelled" : "cancel requested: the job stops after its current step, with a checkpoint";
            }
            catch (JobNotFoundException ex) { Message = ex.Message; }
            catch (JobStateConflictException ex) { Message = ex.Message; }
        }
        await Load(id, cancel);
        return Page();
    }

    private async Task Load(string id, CancellationToken cancel)
    {
        if (!ConsoleJobId.IsValid(id))
        {
            Error = "not a job id: ids are at most 64 letters, digits, '-', '_' or '.'";
            Response.StatusCode = 400;
            return;
        }
        try
        {
            var record = await backend.GetAsync(id, cancel);
            Job = JobView.From(record);
            ConfigYaml = files.ReadConfig(record);
        }
        catch (JobNotFoundException ex)
        {
            Error = ex.Message;
            Response.StatusCode = 404;
        }
    }
}
