using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Athanor.Cluster.Tests;

/// <summary>
/// An OTLP/HTTP endpoint (protobuf) on loopback, as a collector would be: it answers every export with 200
/// and keeps the spans it decodes (OTLP's wire format read field by field) and the raw metric payloads.
/// </summary>
public sealed class TelemetryOtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();
    private readonly Task _loop;

    public sealed record OtlpSpan(string TraceId, string SpanId, string ParentSpanId, string Name, string Scope, string Service,
        IReadOnlyDictionary<string, object> Attributes)
    {
        /// <summary>Start and end, unix nanoseconds.</summary>
        public ulong StartNanos { get; init; }
        public ulong EndNanos { get; init; }
    }

    public TelemetryOtlpReceiver()
    {
        Port = NodeProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public IReadOnlyList<OtlpSpan> Spans => _spans.ToList();
    public IReadOnlyList<byte[]> MetricPayloads => _metrics.ToList();

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var bytes = body.ToArray();
            if (context.Request.Url!.AbsolutePath == "/v1/traces") foreach (var s in DecodeTraces(bytes)) _spans.Enqueue(s);
            else if (context.Request.Url.AbsolutePath == "/v1/metrics") _metrics.Enqueue(bytes);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest: 1 resource_spans { 1 resource { 1 attributes }, 2 scope_spans { 1 scope { 1 name }, 2 spans } }.
    private static IEnumerable<OtlpSpan> DecodeTraces(byte[] request)
    {
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1) continue;
            string service = "";
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
                if (f == 1) service = Attributes(value).TryGetValue("service.instance.id", out var id) ? (string)id : "";
                else if (f == 2) scopes.Add(value);
            foreach (var scopeSpans in scopes)
            {
                string scope = "";
                foreach (var (f, value) in Fields(scopeSpans))
                    if (f == 1) scope = Fields(value).Where(x => x.Field == 1).Select(x => Encoding.UTF8.GetString(x.Value)).FirstOrDefault() ?? "";
                    else if (f == 2) yield return DecodeSpan(value, scope, service);
            }
        }
    }

    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 7 start_time_unix_nano, 8 end_time_unix_nano (fixed64), 9 attributes.
    private static OtlpSpan DecodeSpan(byte[] span, string scope, string service)
    {
        string trace = "", id = "", parent = "", name = "";
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, object>();
        foreach (var (f, value) in Fields(span))
            switch (f)
            {
                case 1: trace = Convert.ToHexStringLower(value); break;
                case 2: id = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
                case 7: start = BitConverter.ToUInt64(value); break;
                case 8: end = BitConverter.ToUInt64(value); break;
                case 9: foreach (var kv in KeyValue(value)) attributes[kv.Key] = kv.Value; break;
            }
        return new OtlpSpan(trace, id, parent, name, scope, service, attributes) { StartNanos = start, EndNanos = end };
    }

    private static Dictionary<string, object> Attributes(byte[] resource) =>
        Fields(resource).Where(x => x.Field == 1).SelectMany(x => KeyValue(x.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);

    // KeyValue: 1 key, 2 AnyValue { 1 string, 2 bool, 3 int, 4 double }.
    private static IEnumerable<KeyValuePair<string, object>> KeyValue(byte[] kv)
    {
        string key = "";
        object value = "";
        foreach (var (f, v) in Fields(kv))
            if (f == 1) key = Encoding.UTF8.GetString(v);
            else if (f == 2)
                foreach (var (af, av) in Fields(v))
                    value = af switch
                    {
                        1 => Encoding.UTF8.GetString(av),
                        3 => (long)Varint(av, 0).Value,
                        _ => value,
                    };
        yield return new(key, value);
    }

    /// <summary>The fields of one protobuf message: varints as their bytes re-read by the caller, fixed and length-delimited as bytes.</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        int i = 0;
        while (i < message.Length)
        {
            var (tag, next) = Varint(message, i);
            i = next;
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: { var (_, end) = Varint(message, i); fields.Add((field, message[i..end])); i = end; break; }
                case 1: fields.Add((field, message[i..(i + 8)])); i += 8; break;
                case 2: { var (length, start) = Varint(message, i); fields.Add((field, message[start..(start + (int)length)])); i = start + (int)length; break; }
                case 5: fields.Add((field, message[i..(i + 4)])); i += 4; break;
                default: throw new InvalidDataException($"OTLP payload: wire type {tag & 7} at byte {i}");
            }
        }
        return fields;
    }

    private static (ulong Value, int Next) Varint(byte[] bytes, int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return (value, at);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
