namespace Athanor.Cluster; internal static class Placeholder { }
