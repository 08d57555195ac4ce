using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// Salesforce: the REST API of the connected org (its <c>instance_url</c>, checked by <see cref="SalesforceApi"/>), the
/// two-way leads sync (<see cref="SalesforceLeadSync"/>), and the create_lead and log_call actions. Access tokens carry
/// no expiry in Salesforce's token answer: a 401 <c>INVALID_SESSION_ID</c> makes the client refresh once. Salesforce has
/// no signed webhooks for a plain REST app (Outbound Messages are SOAP), so changes arrive by the scheduled sync.
/// </summary>
public sealed class SalesforceConnector : Connector
{
    private readonly SalesforceHttp _http;
    private readonly SalesforceLeadSync _leads;

    public SalesforceConnector(TimeProvider time, ILogger<SalesforceConnector> logger)
    {
        _http = new SalesforceHttp(time, logger);
        _leads = new SalesforceLeadSync(_http);
    }

    public override ProviderDefinition Definition { get; } = SalesforceDefinition.Create();

    public override ISyncModel? Sync(string model) => model == SalesforceDefinition.Leads ? _leads : null;

    /// <summary>
    /// One lead (the leads the sync reads, within the <c>api</c> scope); the answer's <c>Sforce-Limit-Info</c> is checked
    /// too: above 90% of the org's daily API requests the test fails and says so, before the sync and actions stop on
    /// <c>REQUEST_LIMIT_EXCEEDED</c>.
    /// </summary>
    public override async Task<ProviderResponse> TestAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var root = await SalesforceApi.RootAsync(context, cancellationToken);
        var response = await _http.GetAsync(context, $"{root}/query?q={Uri.EscapeDataString("SELECT Id FROM Lead LIMIT 1")}", cancellationToken);
        if (SalesforceApi.Usage(response) is { } usage && SalesforceApi.IsNearLimit(usage))
            throw new ProviderException($"The Salesforce org has used {usage.Used} of its {usage.Limit} daily API requests (over 90%).", response.Status,
                $"Sforce-Limit-Info: api-usage={usage.Used}/{usage.Limit}", retryable: true);
        return response;
    }

    public override Task<ProviderResponse> RunActionAsync(ConnectorContext context, string action, JsonObject input, CancellationToken cancellationToken) => action switch
    {
        SalesforceDefinition.CreateLead => CreateLeadsAsync(context, input, cancellationToken),
        SalesforceDefinition.LogCall => LogCallAsync(context, input, cancellationToken),
        _ => base.RunActionAsync(context, action, input, cancellationToken),
    };

    /// <summary>
    /// Look-up-then-create, so a repeated job does not make a second lead: the open leads with the input's emails are
    /// read first, and only the others are created, all in one sObject Collections request.
    /// </summary>
    private async Task<ProviderResponse> CreateLeadsAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var settings = SalesforceLeadSettings.For(context);
        var inputs = input["leads"] is JsonArray many ? many.Select(l => l as JsonObject ?? throw Refused("Each of leads must be an object.")).ToList() : [input];
        if (inputs.Count is 0 or > SalesforceHttp.CollectionLimit) throw Refused($"create_lead takes 1 to {SalesforceHttp.CollectionLimit} leads.");
        var leads = new List<(string Email, JsonObject Lead)>();
        foreach (var one in inputs)
        {
            var email = Text(one, "email")?.Trim().ToLowerInvariant();
            if (email is null || !email.Contains('@', StringComparison.Ordinal)) throw Refused("Each lead needs an email (it is how a repeated create_lead finds the lead it made).");
            if (Text(one, "name") is null || Text(one, "company") is null) throw Refused("Salesforce requires a lead's name (its last name) and company.");
            var fields = new JsonObject();
            foreach (var field in _leads.Fields) if (one.TryGetPropertyValue(field, out var value)) fields[field] = value?.DeepClone();
            fields["email"] = email;
            try { leads.Add((email, settings.Write(fields, create: true))); }
            catch (ProviderException ex) { throw Refused(ex.Message); }
        }

        var emails = leads.Select(l => l.Email).Distinct().ToList();
        var existing = await _http.QueryAsync(context,
            $"SELECT Id, Email FROM Lead WHERE IsConverted = false AND Email IN ({string.Join(", ", emails.Select(SalesforceApi.Literal))})", cancellationToken);
        var known = (existing["records"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(r => SalesforceApi.Text(r, "Email")?.ToLowerInvariant()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var missing = leads.Where(l => !known.Contains(l.Email)).DistinctBy(l => l.Email).ToList();
        if (missing.Count == 0) return Answer(existing);
        var (response, results) = await _http.SaveAsync(context, "Lead", missing.Select(l => l.Lead).ToList(), update: false, cancellationToken);
        var refused = results.Where(r => r.Id is null).Select(r => r.Error).ToList();
        if (refused.Count > 0)
            throw new ProviderException($"Salesforce refused {refused.Count} of {missing.Count} leads.", response.Status, string.Join(" | ", refused), retryable: false);
        return response;
    }

    /// <summary>
    /// A completed Task with <c>TaskSubtype = Call</c> (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm)
    /// on the contact with the email, else the open lead. Safe to repeat: a Task of that person with the same subject,
    /// date and duration is the call already logged.
    /// </summary>
    private async Task<ProviderResponse> LogCallAsync(ConnectorContext context, JsonObject input, CancellationToken cancellationToken)
    {
        var email = Text(input, "email")?.Trim() ?? throw Refused("log_call needs the email of the contact or lead.");
        var subject = Text(input, "subject") ?? throw Refused("log_call needs a subject.");
        var date = Text(input, "activityDate") is { } d
            ? DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : throw Refused($"activityDate '{d}' is not a date (yyyy-MM-dd).")
            : DateOnly.FromDateTime(_http.Time.GetUtcNow().UtcDateTime);
        int? duration = input["durationSeconds"] is JsonValue n && int.TryParse(n.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            ? seconds >= 0 ? seconds : throw Refused("durationSeconds must not be negative.") : null;
        var callType = Text(input, "callType");
        if (callType is not (null or "Inbound" or "Outbound" or "Internal")) throw Refused("callType is Inbound, Outbound or Internal.");

        var who = await FirstIdAsync(context, $"SELECT Id FROM Contact WHERE Email = {SalesforceApi.Literal(email)} LIMIT 1", cancellationToken)
            ?? await FirstIdAsync(context, $"SELECT Id FROM Lead WHERE Email = {SalesforceApi.Literal(email)} AND IsConverted = false LIMIT 1", cancellationToken)
            ?? throw Refused($"No Salesforce contact or open lead has the email {email}.");
        var dateText = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var same = $"SELECT Id FROM Task WHERE WhoId = {SalesforceApi.Literal(who)} AND TaskSubtype = 'Call' AND Subject = {SalesforceApi.Literal(subject)} " +
            $"AND ActivityDate = {dateText} AND CallDurationInSeconds = {(duration is { } s ? s.ToString(CultureInfo.InvariantCulture) : "null")} LIMIT 1";
        var done = await _http.QueryAsync(context, same, cancellationToken);
        if ((done["records"] as JsonArray)?.Count > 0) return Answer(done);

        var task = new JsonObject
        {
            ["WhoId"] = who, ["Subject"] = subject, ["TaskSubtype"] = "Call", ["ActivityDate"] = dateText, ["Status"] = "Completed",
        };
        if (Text(input, "description") is { } description) task["Description"] = description;
        if (duration is not null) task["CallDurationInSeconds"] = duration;
        if (callType is not null) task["CallType"] = callType;
        var (response, results) = await _http.SaveAsync(context, "Task", [task], update: false, cancellationToken);
        return results[0].Id is not null ? response
            : throw new ProviderException($"Salesforce refused the call: {results[0].Error}", response.Status, results[0].Error, retryable: false);
    }

    private async Task<string?> FirstIdAsync(ConnectorContext context, string soql, CancellationToken cancellationToken)
    {
        var json = await _http.QueryAsync(context, soql, cancellationToken);
        var id = (json["records"] as JsonArray)?.OfType<JsonObject>().Select(r => SalesforceApi.Text(r, "Id")).FirstOrDefault();
        return id is null ? null : SalesforceHttp.IsId(id) ? id : throw new ProviderException($"Salesforce answered an id '{id}' that is not one.", null, null, retryable: false);
    }

    /// <summary>
    /// Revokes the refresh token (and with it the access tokens issued from it) at /services/oauth2/revoke
    /// (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm); a token Salesforce no longer
    /// knows (400) is already revoked.
    /// </summary>
    public override async Task RevokeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var tokens = await context.Http.TokensAsync(cancellationToken);
        if (ProviderUrls.RevokeUrl(context.Options, Definition) is not { } url) return;
        var token = tokens.RefreshToken ?? tokens.AccessToken;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, url)
            { Content = new FormUrlEncodedContent([new("token", token)]) }, cancellationToken, authenticate: false);
        if (!response.IsSuccess && response.Status != 400) throw SalesforceApi.Error(response, _http.Time);
    }

    /// <summary>What a repeated action answers: the look-up that found the earlier attempt's record.</summary>
    private static ProviderResponse Answer(JsonObject body)
    {
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        return new ProviderResponse(200, body.ToJsonString(), answer.Headers, 0);
    }

    private static ProviderException Refused(string message) => new(message, null, null, retryable: false);

    private static string? Text(JsonObject input, string name) => input[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s : null;
}
