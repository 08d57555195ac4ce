using Switchboard.Crm.Activities;
using Switchboard.Crm.Analytics;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Payments;
using Switchboard.Crm.Pipeline;
using Switchboard.Crm.Tasks;
using Switchboard.Crm.Tickets;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Versioning;

namespace Switchboard.Crm;

public static class CrmApi
{
    /// <summary>
    /// /api/v1/contacts gives way to /api/v2/contacts: deprecated on 2026-11-22, gone a year later. The anchor is the
    /// changelog's section of that day (docs/changelog.md).
    /// </summary>
    public static readonly Deprecation ContactsV1 = new(new DateOnly(2026, 11, 22), new DateOnly(2027, 11, 22), "2026-11-22");

    /// <summary>
    /// The CRM's part of <see cref="ResourceRegistry"/>: every canonical definition, in the order the scope list and the
    /// event catalog show them (another version's shape, such as /api/v2/contacts, is the same resource).
    /// </summary>
    public static readonly IReadOnlyList<ApiResource> Resources =
    [
        ContactResource.Definition.Describe(ContactV2Resource.Definition),
        LeadResource.Definition.Describe(),
        DealResource.Definition.Describe(),
        ActivityResource.Definition.Describe(),
        TaskResource.Definition.Describe(),
        TicketResource.Definition.Describe(),
        CallResource.Definition.Describe(),
        ChatResources.Sessions.Describe(),
        ChatResources.Messages.Describe(),
        PaymentResource.Definition.Describe(),
    ];

    public static IServiceCollection AddCrm(this IServiceCollection services) => services.AddScoped<CrmWriter>().AddSingleton<RecordReader>();

    /// <summary>Every CRM resource: one declaration each, plus the actions some of them have.</summary>
    public static IEndpointRouteBuilder MapCrmApi(this IEndpointRouteBuilder app)
    {
        app.MapCrmResource(ContactResource.Definition).Deprecated(ContactsV1);
        app.MapCrmResource(ContactV2Resource.Definition);
        app.MapCrmResource(LeadResource.Definition).MapLeadConversion();
        app.MapCrmResource(DealResource.Definition);
        app.MapCrmResource(ActivityResource.Definition);
        app.MapCrmResource(TaskResource.Definition).MapTaskActions();
        app.MapCrmResource(TicketResource.Definition);
        app.MapCrmResource(CallResource.Definition).MapCallActions();
        app.MapCrmResource(PaymentResource.Definition);
        app.MapChatApi();
        app.MapAnalyticsApi();
        return app;
    }
}
