using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Xero;

/// <summary>
/// Calls to Xero's Accounting API (https://developer.xero.com/documentation/api/accounting/overview): the bearer token,
/// the organisation in the <c>xero-tenant-id</c> header, <c>Accept: application/json</c> (XML otherwise), and on
/// writes an <c>Idempotency-Key</c> (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency:
/// at most 128 characters; a repeated key answers the first request's answer).
/// </summary>
public static class XeroApi
{
    public const string TenantIdExtra = "tenantId", TenantNameExtra = "tenantName";

    public static bool IsTenantId(string? value) => Guid.TryParseExact(value, "D", out _);

    public static async Task<string> TenantIdAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var tenant = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(TenantIdExtra);
        return IsTenantId(tenant) ? tenant!
            : throw new ProviderException("The Xero connection names no organisation (tenant id): connect the installation again.", null, "no_tenant_id", retryable: false)
            { NeedsReauthorization = true };
    }

    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, string tenantId, HttpMethod method, string pathAndQuery, JsonObject? body,
        CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        var url = context.BaseUrl(XeroDefinition.Api) + pathAndQuery;
        var json = body?.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Add("xero-tenant-id", tenantId);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            return request;
        }, cancellationToken);
        return response.IsSuccess ? response : throw XeroErrors.From(response, context.Time);
    }

    /// <summary>A key for one write of one installation, the same on every retry of the job (a SHA-256 in hex: 64 characters, under Xero's 128).</summary>
    public static string IdempotencyKey(ConnectorContext context, string write, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{context.Installation.Id}\n{write}\n{key}")));

    /// <summary>A string in a <c>where</c> filter (https://developer.xero.com/documentation/api/accounting/requests-and-responses#retrieving-a-filtered-set-of-records): double-quoted, a quote in it escaped.</summary>
    public static string Literal(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
