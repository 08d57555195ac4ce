using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Crm;
using Switchboard.Identity;
using Switchboard.Platform.Auth;

namespace Switchboard.Docs;

/// <summary>
/// Puts into the schemas what the validators enforce on plain string fields: the allowed values of enumerations (the
/// same lists the validators check against, so they cannot drift apart) and the formats of emails, phone numbers,
/// currencies and URLs. Keyed by the record's name without its Input/Response/Request suffix and the JSON field name.
/// </summary>
internal static class FieldConstraints
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Values = new(StringComparer.Ordinal)
    {
        ["Lead.status"] = LeadStatus.All,
        ["Deal.stage"] = DealStage.All,
        ["Activity.type"] = ActivityType.All,
        ["Task.status"] = TaskState.All,
        ["Ticket.priority"] = TicketPriority.All,
        ["Ticket.status"] = TicketStatus.All,
        ["Call.direction"] = CallDirection.All,
        ["Call.status"] = CallStatus.All,
        ["Payment.status"] = PaymentStatus.All,
        ["Payment.method"] = PaymentMethod.All,
        ["ChatSession.channel"] = ChatChannel.All,
        ["ChatSession.status"] = ChatSessionStatus.All,
        ["ChatMessage.author"] = ChatAuthor.All,
        ["SendChatMessage.channel"] = ChatChannel.All,
        ["SendChatMessage.author"] = ChatAuthor.All,
        ["Member.role"] = Roles.All,
        ["UpdateMember.role"] = Roles.All,
        ["CreateInvitation.role"] = Roles.All,
        ["Invitation.role"] = Roles.All,
        ["SetPlan.plan"] = Plans.All,
        ["OrganizationView.plan"] = Plans.All,
        ["Organization.plan"] = Plans.All,
    };

    /// <summary>The input side only allows what a client may set (a lead becomes converted only by converting).</summary>
    private static readonly Dictionary<string, IReadOnlyList<string>> InputValues = new(StringComparer.Ordinal)
    {
        ["Lead.status"] = LeadStatus.Settable,
    };

    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken _)
    {
        if (context.JsonPropertyInfo is not { } property || schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String)) return Task.CompletedTask;
        var owner = property.DeclaringType.Name;
        var isInput = owner.EndsWith("Input", StringComparison.Ordinal) || owner.EndsWith("Request", StringComparison.Ordinal);
        foreach (var suffix in (string[])["Input", "Response", "Request"])
            if (owner.EndsWith(suffix, StringComparison.Ordinal)) { owner = owner[..^suffix.Length]; break; }
        var key = $"{owner}.{property.Name}";
        if ((isInput && InputValues.TryGetValue(key, out var values)) || Values.TryGetValue(key, out values))
        {
            schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
            if (type.HasFlag(JsonSchemaType.Null)) schema.Enum.Add(null!); // a nullable enum must list null to allow it (JSON Schema §6.1.2)
            return Task.CompletedTask;
        }
        switch (property.Name)
        {
            case "email" or "visitorEmail":
                schema.Format = "email";
                break;
            case "phone" or "fromNumber" or "toNumber":
                schema.Pattern = Platform.Validation.PhoneNumber.Pattern; // E.164
                schema.Description ??= "A phone number in E.164 form, e.g. +14155550123.";
                break;
            case "currency":
                schema.Pattern = "^[A-Z]{3}$";
                schema.Description ??= "An ISO 4217 currency code in upper case.";
                break;
            case "url":
                schema.Format = "uri";
                break;
        }
        return Task.CompletedTask;
    }
}
