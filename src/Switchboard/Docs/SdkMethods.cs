using System.Text.Json;

namespace Switchboard.Docs;

/// <summary>
/// The SDK method that calls an operation, in each SDK (<c>contacts.create</c>; the Python SDK's names are snake_case).
/// <paramref name="PythonKeywords"/>: body fields the Python method takes under another keyword (<c>gracePeriodSeconds</c> →
/// <c>grace_period_seconds</c>); <paramref name="PythonRawBody"/>: the method takes the body as bytes (<c>content</c>);
/// <paramref name="DotNet"/>: the .NET SDK's method and the types of its arguments.
/// </summary>
public sealed record SdkMethod(string TypeScript, string Python, IReadOnlyDictionary<string, string>? PythonKeywords = null, bool PythonRawBody = false,
    DotNetSdkMethod? DotNet = null);

/// <summary>
/// The .NET SDK's method of an operation, <c>Contacts.UpdateAsync</c> (a resource property of <c>SwitchboardClient</c> and its
/// method), which takes the path ids as strings, then the body as a <paramref name="Body"/> record, then the query parameters
/// as a <paramref name="Query"/> record. <paramref name="ReturnsNothing"/>: the method returns a bare <c>Task</c> (a 204).
/// </summary>
public sealed record DotNetSdkMethod(string Method, string? Body = null, string? Query = null, bool ReturnsNothing = false);

/// <summary>
/// Which method of each SDK calls each operation, for the code samples: <c>sdk-methods.json</c>, embedded. It is derived
/// from the SDKs themselves (the TypeScript SDK's operation table, the Python SDK's marked methods, the .NET SDK's
/// operation attributes) by the test that
/// also fails when it no longer matches them (<c>SdkCodeSamplesTests</c>; <c>UPDATE_SDK_METHODS=1</c> rewrites it).
/// </summary>
public static class SdkMethods
{
    public const string ResourceName = "sdk-methods.json";

    private static readonly Lazy<IReadOnlyDictionary<string, SdkMethod>> Table = new(() =>
    {
        using var stream = typeof(SdkMethods).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded {ResourceName} is missing.");
        return JsonSerializer.Deserialize<Dictionary<string, SdkMethod>>(stream, JsonSerializerOptions.Web)!;
    });

    public static IReadOnlyDictionary<string, SdkMethod> All => Table.Value;

    public static SdkMethod? For(string operationId) => Table.Value.GetValueOrDefault(operationId);
}
