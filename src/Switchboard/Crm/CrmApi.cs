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

namespace Switchboard.Crm;

public static class CrmApi
{
    public static IServiceCollection AddCrm(this IServiceCollection services) => services.AddScoped<CrmWriter>();

    /// <summary>Every CRM resource: one declaration each, plus the actions some of them have.</summary>
    public static IEndpointRouteBuilder MapCrmApi(this IEndpointRouteBuilder app)
    {
        app.MapCrmResource(ContactResource.Definition);
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
