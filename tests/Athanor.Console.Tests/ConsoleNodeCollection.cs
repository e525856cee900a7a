namespace Athanor.Console.Tests;

/// <summary>The browser, form and security tests share one node (and one Chromium): one start-up for the suite, and they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleNodeCollection : ICollectionFixture<ConsoleNode>
{
    public const string Name = "console node";
}
