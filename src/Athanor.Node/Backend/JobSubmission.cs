using Athanor.Configuration;

namespace Athanor.Node.Backend;

/// <summary>
/// A job the services have accepted: its config parsed, validated and with every path resolved on the
/// server and checked against the node's roots. Backends run it as it is.
/// </summary>
/// <param name="Name">The submitter's name for it (may be empty).</param>
/// <param name="Config">The effective job config (serialize with JobConfigWriter to send it elsewhere).</param>
/// <param name="Notes">Lines worth showing in the job's log before it starts (ignored keys, path notes).</param>
public sealed record JobSubmission(string Name, JobConfig Config, IReadOnlyList<string> Notes);
