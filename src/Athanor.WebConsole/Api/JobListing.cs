using Athanor.Node.Backend;

namespace Athanor.WebConsole.Api;

/// <summary>Every job the backend lists (newest first), page by page, optionally only those in some states.</summary>
public static class JobListing
{
    public const int PageSize = 1000;

    /// <summary>Parses "running,pending" (case-insensitive); null and an error for a name that is not a state.</summary>
    public static (HashSet<JobState>? States, string? Error) ParseStates(string? text)
    {
        var states = new HashSet<JobState>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<JobState>(part, ignoreCase: true, out var state) || !Enum.IsDefined(state) || char.IsDigit(part[0]))
                return (null, $"state '{(part.Length > 40 ? part[..40] + "..." : part)}' is not a job state; accepted: pending, running, succeeded, failed, cancelled");
            states.Add(state);
        }
        return (states, null);
    }

    public static async Task<List<JobRecord>> AllAsync(IJobBackend backend, IReadOnlySet<JobState> states, CancellationToken cancel)
    {
        var jobs = new List<JobRecord>();
        string? token = null;
        do
        {
            var page = await backend.ListAsync(new JobFilter(states), new PageRequest(PageSize, token), cancel).ConfigureAwait(false);
            jobs.AddRange(page.Jobs);
            token = page.NextPageToken;
        } while (token is not null);
        return jobs;
    }
}
