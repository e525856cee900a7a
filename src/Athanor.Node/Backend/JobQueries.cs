namespace Athanor.Node.Backend;

/// <summary>Which jobs to list: those in any of <paramref name="States"/> (empty = all).</summary>
public sealed record JobFilter(IReadOnlySet<JobState> States)
{
    public static JobFilter All { get; } = new(new HashSet<JobState>());

    public bool Matches(JobState state) => States.Count == 0 || States.Contains(state);
}

/// <summary>One page of a listing: at most <paramref name="PageSize"/> jobs after <paramref name="PageToken"/> (null = first page).</summary>
public sealed record PageRequest(int PageSize, string? PageToken);

/// <summary>A page of jobs; <paramref name="NextPageToken"/> is null on the last page.</summary>
public sealed record JobPage(IReadOnlyList<JobRecord> Jobs, string? NextPageToken);
