using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace Switchboard.Platform.Http;

/// <summary>
/// 200 with a JSON body, as <see cref="Microsoft.AspNetCore.Http.HttpResults.Ok{TValue}"/> answers it (same status, content
/// type, serializer options and endpoint metadata), but serialized before the response starts and sent in one write with
/// its <c>Content-Length</c>: no chunked framing, no asynchronous serializer, and no request services resolved to do it.
/// For small bodies, such as one record.
/// </summary>
public sealed class OkJson<TValue> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>, IContentTypeHttpResult
{
    private readonly JsonTypeInfo<TValue> _typeInfo;

    internal OkJson(TValue value, JsonSerializerOptions options)
    {
        Value = value;
        _typeInfo = (JsonTypeInfo<TValue>)options.GetTypeInfo(typeof(TValue));
    }

    public TValue Value { get; }
    object? IValueHttpResult.Value => Value;
    public int StatusCode => StatusCodes.Status200OK;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    public string ContentType => "application/json; charset=utf-8";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(Value, _typeInfo);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        return response.BodyWriter.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    // IEndpointMetadataProvider's member is static by definition (CA1000 is about callers having to name the type argument).
#pragma warning disable CA1000
    /// <summary>What <see cref="Microsoft.AspNetCore.Http.HttpResults.Ok{TValue}"/> declares: 200, <typeparamref name="TValue"/>, application/json.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TValue), ["application/json"]));
#pragma warning restore CA1000
}
