using Athanor.Cli.Client;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Commands;

/// <summary>`cluster nodes [--json]`: the cluster's members with roles, devices and health.</summary>
public sealed class NodesCommand : ICommand
{
    public string Name => "nodes";
    public string Summary => "list the cluster's nodes: roles, devices, health";
    public string Usage => $$"""
        usage: cluster nodes [--json] [--server ADDR] [--token T]

          --json        a JSON array: id, address, roles, health, devices [{kind, index, name, memory_bytes}],
                        joined_at, running_jobs
        {{ClientCommandRunner.ConnectionUsage}}
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = ClientCommandRunner.Read("cluster nodes", args, [], ["--json"]);
        reader.AtMostPositionals(0, "no arguments besides flags");
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            var nodes = (await connection.Cluster.ListNodesAsync(new ListNodesRequest(), connection.Unary(cancel))).Nodes;
            Console.WriteLine(reader.Has("--json") ? JobJson.Array(nodes.Select(JobJson.Node)) : JobText.NodeTable(nodes));
            return ExitCodes.Ok;
        });
    }
}
