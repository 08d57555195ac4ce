using Switchboard.Audit;
using Switchboard.Crm;
using Switchboard.Crm.Activities;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Payments;
using Switchboard.Crm.Pipeline;
using Switchboard.Crm.Tasks;
using Switchboard.Crm.Tickets;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Resources;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The tables derived from the resources' declarations (<see cref="ResourceRegistry"/>) are the tables that were written
/// by hand before the registry, entry for entry: the scope list, the event catalog, the id prefixes of the examples and
/// the enumerations and formats of the OpenAPI document. A change here is a change of the public contract.
/// </summary>
public sealed class ResourceRegistryTests
{
    [Fact]
    public void TheScopeListIsTheOneClientsKnewWithoutTheScopesNothingGates()
    {
        // Until 2026-12 the list also held integrations and oauth_apps, which gated no endpoint; oauth_apps came back with
        // the OAuth app registration it gates (sensitive: who may act for the organization), integrations with the
        // integrations API (#17) it gates.
        Scopes.Resources.ShouldBe(
            ["contacts", "leads", "deals", "activities", "tasks", "tickets", "calls", "chat", "payments", "analytics", "usage", "webhooks", "api_keys", "oauth_apps",
             "integrations", "audit_logs", "members"]);
        ResourceRegistry.SensitiveScopes.Order().ShouldBe(["audit_logs", "members", "oauth_apps"]);
        Scopes.Covers(["*:write"], ["oauth_apps:read"]).ShouldBeFalse("*:write does not reach a sensitive resource");
        Scopes.IsValid("integrations:read").ShouldBeTrue();
        Scopes.Covers(["*:read"], ["audit_logs:read"]).ShouldBeFalse("*:read does not reach a sensitive resource");
    }

    [Fact]
    public void TheEventCatalogListsTheSameTypesWithTheSameDescriptionsAndDataInTheSameOrder()
    {
        var expected = new List<(string, string, Type)>();
        void Crud(string singular, Type data, params (string Suffix, string Description)[] more)
        {
            var name = singular.Replace('_', ' ');
            expected.Add(($"{singular}.created", $"A {name} was created.", data));
            expected.Add(($"{singular}.updated", $"A {name} changed; previousAttributes holds the old values of the changed fields.", data));
            expected.Add(($"{singular}.deleted", $"A {name} was deleted; data is its last state.", data));
            foreach (var (suffix, description) in more) expected.Add(($"{singular}.{suffix}", description, data));
        }
        Crud("contact", typeof(ContactResponse));
        Crud("lead", typeof(LeadResponse), ("converted", "A lead was converted into a contact and a deal."));
        Crud("deal", typeof(DealResponse), ("stage_changed", "A deal moved to another stage."), ("won", "A deal was won."), ("lost", "A deal was lost."));
        Crud("activity", typeof(ActivityResponse));
        Crud("task", typeof(TaskResponse), ("completed", "A task was completed."));
        Crud("ticket", typeof(TicketResponse), ("status_changed", "A ticket changed status."));
        Crud("call", typeof(CallResponse), ("started", "A live call began."), ("ended", "A call ended (completed, missed or failed)."),
            ("transcript_added", "A call's transcript was attached."));
        Crud("chat_session", typeof(ChatSessionResponse));
        expected.Add(("chat.message_received", "A visitor sent a chat message.", typeof(ChatMessageResponse)));
        expected.Add(("chat.message_sent", "An agent or bot sent a chat message.", typeof(ChatMessageResponse)));
        Crud("payment", typeof(PaymentResponse), ("completed", "A payment completed."), ("failed", "A payment failed."), ("refunded", "A payment was refunded."));
        expected.Add(("quota.warning", "The organization used 80% of its daily request quota.", typeof(Switchboard.RateLimiting.QuotaEventData)));
        expected.Add(("quota.exceeded", "The organization used all of its daily request quota.", typeof(Switchboard.RateLimiting.QuotaEventData)));
        expected.Add(("webhook.endpoint_disabled", "An endpoint was disabled (410 Gone, or failing for too long).", typeof(WebhookOperationalData)));
        expected.Add(("webhook.delivery_exhausted", "A delivery used up its retries and is now dead.", typeof(WebhookOperationalData)));
        expected.Add(("webhook.test", "A test delivery requested with POST /api/v1/webhooks/{id}/test.", typeof(WebhookTestData)));
        expected.Add(("oauth.authorization_granted", "A user authorized a third-party app, or widened what it may do.", typeof(Switchboard.OAuth.OAuthAuthorizationEventData)));
        expected.Add(("oauth.authorization_revoked",
            "A user's authorization of a third-party app was revoked (by the user, an admin, the app's deletion, or a replayed refresh token or code).",
            typeof(Switchboard.OAuth.OAuthAuthorizationEventData)));
        // Since the integration framework (#17).
        expected.Add(("integration.auth_failed", "An installation's provider authorization failed (a refresh was refused); it needs to be connected again.",
            typeof(Switchboard.Integrations.IntegrationEventData)));
        expected.Add(("integration.sync_completed", "A sync run finished.", typeof(Switchboard.Integrations.IntegrationSyncEventData)));
        expected.Add(("integration.sync_failed", "A sync run failed.", typeof(Switchboard.Integrations.IntegrationSyncEventData)));
        expected.Add(("integration.action_failed", "An integration action used up its retries and is now dead.", typeof(Switchboard.Integrations.IntegrationEventData)));
        expected.Add(("integration.provider_record_changed", "A record changed at the provider, as its webhook reported (QuickBooks, Xero).",
            typeof(Switchboard.Integrations.IntegrationProviderRecordData)));

        ResourceRegistry.EventTypes.Select(e => (e.Type, e.Description, e.Data)).ToList().ShouldBe(expected);
        EventTypes.All.ShouldBe(expected.Select(e => e.Item1));
    }

    [Fact]
    public void TheIdPrefixTablesHoldEveryPrefixTheExamplesUsedBefore()
    {
        // The three tables Docs/Examples.cs held; the registry may know more (a resource's own collection or id field),
        // never a different prefix for a name that was there.
        var fields = new Dictionary<string, string>
        {
            ["contactId"] = "con", ["leadId"] = "lead", ["dealId"] = "deal", ["sessionId"] = "chs", ["apiKeyId"] = "key", ["userId"] = "usr",
            ["organizationId"] = "org", ["endpointId"] = "wh", ["eventId"] = "evt", ["deliveryId"] = "dlv", ["convertedContactId"] = "con",
            ["convertedDealId"] = "deal", ["rotatedToId"] = "key", ["actorId"] = "usr", ["requestId"] = "req",
        };
        var collections = new Dictionary<string, string>
        {
            ["contacts"] = "con", ["leads"] = "lead", ["deals"] = "deal", ["activities"] = "act", ["tasks"] = "task", ["tickets"] = "tkt",
            ["calls"] = "call", ["sessions"] = "chs", ["payments"] = "pay", ["api-keys"] = "key", ["webhooks"] = "wh", ["deliveries"] = "dlv",
            ["members"] = "usr", ["invitations"] = "ivt", ["organizations"] = "org",
        };
        var records = new Dictionary<string, string>
        {
            ["ContactResponse"] = "con", ["LeadResponse"] = "lead", ["DealResponse"] = "deal", ["ActivityResponse"] = "act", ["TaskResponse"] = "task",
            ["TicketResponse"] = "tkt", ["CallResponse"] = "call", ["ChatSessionResponse"] = "chs", ["ChatMessageResponse"] = "msg",
            ["PaymentResponse"] = "pay", ["ApiKeyResponse"] = "key", ["WebhookResponse"] = "wh", ["DeliveryResponse"] = "dlv",
            ["InvitationResponse"] = "ivt", ["AuditLogResponse"] = "aud", ["OrganizationResponse"] = "org", ["OrganizationView"] = "org",
            ["UserResponse"] = "usr", ["MemberResponse"] = "usr",
        };
        Extras(ResourceRegistry.PrefixByIdField, fields).ShouldBe(
            ["activityId", "appId", "auditLogId", "authorizationId", "callId", "chatMessageId", "installationId", "integrationRecordLinkId", "invitationId", "paymentId",
             "reviewId", "ruleId", "syncRunId", "taskId", "ticketId", "webhookPortalLinkId"]);
        Extras(ResourceRegistry.PrefixByCollection, collections).ShouldBe(["audit-logs", "integrations", "messages", "oauth/apps", "oauth/authorizations", "webhooks/portal-links"]);
        Extras(ResourceRegistry.PrefixByRepresentation, records).ShouldBe(["InstallationResponse", "OAuthAppResponse", "OAuthAuthorizationResponse", "PortalLinkResponse", "ReviewResponse"]);
    }

    private static List<string> Extras(IReadOnlyDictionary<string, string> derived, Dictionary<string, string> before)
    {
        foreach (var (name, prefix) in before) derived.GetValueOrDefault(name).ShouldBe(prefix, name);
        return derived.Keys.Except(before.Keys).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void TheEnumerationsAreTheOnesTheDocumentListedBefore()
    {
        // Docs/FieldConstraints.cs keyed them by the type's name without Input/Response/Request; inputs of lead status
        // list only what a client may set.
        var values = new Dictionary<string, IReadOnlyList<string>>
        {
            ["Lead.status"] = LeadStatus.All, ["Deal.stage"] = DealStage.All, ["Activity.type"] = ActivityType.All, ["Task.status"] = TaskState.All,
            ["Ticket.priority"] = TicketPriority.All, ["Ticket.status"] = TicketStatus.All, ["Call.direction"] = CallDirection.All,
            ["Call.status"] = CallStatus.All, ["Payment.status"] = PaymentStatus.All, ["Payment.method"] = PaymentMethod.All,
            ["ChatSession.channel"] = ChatChannel.All, ["ChatSession.status"] = ChatSessionStatus.All, ["ChatMessage.author"] = ChatAuthor.All,
            ["SendChatMessage.channel"] = ChatChannel.All, ["SendChatMessage.author"] = ChatAuthor.All,
            ["Member.role"] = Roles.All, ["UpdateMember.role"] = Roles.All, ["CreateInvitation.role"] = Roles.All, ["Invitation.role"] = Roles.All,
            ["SetPlan.plan"] = Switchboard.Identity.Plans.All, ["OrganizationView.plan"] = Switchboard.Identity.Plans.All,
            ["Organization.plan"] = Switchboard.Identity.Plans.All,
            // Since the OAuth app registration (2026-12).
            ["OAuthApp.type"] = Switchboard.OAuth.OAuthAppTypes.All, ["OAuthAuthorization.status"] = ["active", "revoked"],
            // Since the integration framework (#17).
            ["Installation.status"] = Switchboard.Integrations.InstallationStatus.All, ["InstallationHealth.status"] = Switchboard.Integrations.InstallationStatus.All,
            ["ConnectionTest.status"] = Switchboard.Integrations.InstallationStatus.All,
            ["ProviderInfo.category"] = Switchboard.Integrations.Catalog.ProviderCategory.All, ["ProviderAuthInfo.kind"] = Switchboard.Integrations.Catalog.ProviderAuthKind.All,
            ["ProviderSyncInfo.direction"] = ["pull", "push", "two_way"],
        };
        var derived = ResourceRegistry.FieldValues.Select(e => (Key: $"{Owner(e.Key.Type)}.{e.Key.Field}", Values: e.Value, Input: IsInput(e.Key.Type))).ToList();
        derived.Select(e => e.Key).Distinct().Order().ShouldBe(values.Keys.Order());
        foreach (var (key, list, input) in derived)
            list.ShouldBe(key == "Lead.status" && input ? LeadStatus.Settable : values[key], key);
    }

    [Fact]
    public void TheFormatsAreOnTheFieldsTheDocumentFormattedBefore()
    {
        // Before, any property named email or visitorEmail was an email, phone, fromNumber and toNumber E.164, currency
        // ISO 4217 and url a URI; these are the types of the v1 and v2 documents that have such a property.
        var expected = new Dictionary<string, FieldFormat>
        {
            ["CallInput.fromNumber"] = FieldFormat.Phone, ["CallInput.toNumber"] = FieldFormat.Phone,
            ["CallResponse.fromNumber"] = FieldFormat.Phone, ["CallResponse.toNumber"] = FieldFormat.Phone,
            ["ChatSessionInput.visitorEmail"] = FieldFormat.Email, ["ChatSessionResponse.visitorEmail"] = FieldFormat.Email,
            ["SendChatMessageRequest.visitorEmail"] = FieldFormat.Email,
            ["ContactInput.email"] = FieldFormat.Email, ["ContactInput.phone"] = FieldFormat.Phone,
            ["ContactResponse.email"] = FieldFormat.Email, ["ContactResponse.phone"] = FieldFormat.Phone,
            ["ContactV2Input.email"] = FieldFormat.Email, ["ContactV2Input.phone"] = FieldFormat.Phone,
            ["ContactV2Response.email"] = FieldFormat.Email, ["ContactV2Response.phone"] = FieldFormat.Phone,
            ["LeadInput.email"] = FieldFormat.Email, ["LeadInput.phone"] = FieldFormat.Phone,
            ["LeadResponse.email"] = FieldFormat.Email, ["LeadResponse.phone"] = FieldFormat.Phone,
            ["ConvertLeadRequest.currency"] = FieldFormat.Currency, ["DealInput.currency"] = FieldFormat.Currency, ["DealResponse.currency"] = FieldFormat.Currency,
            ["PaymentInput.currency"] = FieldFormat.Currency, ["PaymentResponse.currency"] = FieldFormat.Currency, ["MoneyTotal.currency"] = FieldFormat.Currency,
            ["CreateInvitationRequest.email"] = FieldFormat.Email, ["InvitationResponse.email"] = FieldFormat.Email,
            ["LoginRequest.email"] = FieldFormat.Email, ["SignupRequest.email"] = FieldFormat.Email,
            ["MemberResponse.email"] = FieldFormat.Email, ["UserResponse.email"] = FieldFormat.Email,
            ["WebhookInput.url"] = FieldFormat.Url, ["WebhookResponse.url"] = FieldFormat.Url,
            // Since the OAuth app registration (2026-12).
            ["OAuthAppInput.homepageUrl"] = FieldFormat.Url, ["OAuthAppInput.logoUrl"] = FieldFormat.Url,
            ["OAuthAppResponse.homepageUrl"] = FieldFormat.Url, ["OAuthAppResponse.logoUrl"] = FieldFormat.Url,
            ["OAuthAuthorizationResponse.appHomepageUrl"] = FieldFormat.Url, ["OAuthAuthorizationResponse.appLogoUrl"] = FieldFormat.Url,
        };
        ResourceRegistry.FieldFormats.ToDictionary(e => $"{e.Key.Type.Name}.{e.Key.Field}", e => e.Value).OrderBy(e => e.Key, StringComparer.Ordinal)
            .ShouldBe(expected.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void EveryCrmDefinitionIsInTheRegistryWithItsDeclaredFacts()
    {
        CrmApi.Resources.Select(r => r.Name).ShouldBe(
            ["contact", "lead", "deal", "activity", "task", "ticket", "call", "chat_session", "chat_message", "payment"]);
        var deal = ResourceRegistry.Named("deal");
        deal.IdPrefix.ShouldBe(DealResource.Definition.IdPrefix);
        deal.Scope.ShouldBe("deals");
        deal.Collection.ShouldBe("deals");
        deal.Representations.ShouldBe([typeof(DealResponse)]);
        deal.Events.Select(e => e.Type).ShouldBe(["deal.created", "deal.updated", "deal.deleted", "deal.stage_changed", "deal.won", "deal.lost"]);
        ResourceRegistry.Named("chat_message").Events.Select(e => e.Type).ShouldBe(["chat.message_received", "chat.message_sent"], "messages record no change events");
        // Every name the registry resolves is declared once.
        ResourceRegistry.All.Select(r => r.Name).ShouldBeUnique();
        ResourceRegistry.EventTypes.Select(e => e.Type).ShouldBeUnique();
    }

    /// <summary>
    /// A state event is recorded only if declared: the pipeline walks the declared list, and here every change between
    /// two values of every enumerated field of every CRM resource (and every creation) records only catalogued types.
    /// </summary>
    [Fact]
    public void StateEventsRecordOnlyDeclaredTypesForEveryChangeOfEveryEnumeratedField()
    {
        var emitted = new HashSet<string>();
        emitted.UnionWith(StateEvents(ContactResource.Definition));
        emitted.UnionWith(StateEvents(LeadResource.Definition));
        emitted.UnionWith(StateEvents(DealResource.Definition));
        emitted.UnionWith(StateEvents(ActivityResource.Definition));
        emitted.UnionWith(StateEvents(TaskResource.Definition));
        emitted.UnionWith(StateEvents(TicketResource.Definition));
        emitted.UnionWith(StateEvents(CallResource.Definition));
        emitted.UnionWith(StateEvents(ChatResources.Sessions));
        emitted.UnionWith(StateEvents(ChatResources.Messages));
        emitted.UnionWith(StateEvents(PaymentResource.Definition));
        emitted.ShouldBeSubsetOf(EventTypes.All);
        // Every declared state event that an enumerated field drives is reachable (call.transcript_added is driven by a transcript).
        emitted.Order().ShouldBe(
        [
            "call.ended", "call.started", "chat.message_received", "chat.message_sent", "deal.lost", "deal.stage_changed", "deal.won",
            "lead.converted", "payment.completed", "payment.failed", "payment.refunded", "task.completed", "ticket.status_changed",
        ]);
    }

    private static HashSet<string> StateEvents<TEntity, TInput, TResponse>(ResourceDefinition<TEntity, TInput, TResponse> definition)
        where TEntity : CrmRecord, new() where TInput : CrmInput where TResponse : class
    {
        IRecordLifecycle<TEntity> life = definition;
        var declared = (definition.StateEvents ?? []).Select(e => $"{definition.EventPrefix ?? definition.Singular}.{e.Name}").ToHashSet();
        var emitted = new HashSet<string>();
        foreach (var field in definition.Enumerations)
        {
            var property = typeof(TEntity).GetProperty(char.ToUpperInvariant(field.Field[0]) + field.Field[1..])!;
            TResponse Record(string value)
            {
                var entity = new TEntity { Id = "rec_1" };
                property.SetValue(entity, value);
                return definition.Map(entity);
            }
            foreach (var after in field.Values)
            {
                emitted.UnionWith(life.StateEvents(null, Record(after)));
                foreach (var before in field.Values) emitted.UnionWith(life.StateEvents(Record(before), Record(after)));
            }
        }
        emitted.ShouldBeSubsetOf(declared, definition.Singular);
        return emitted;
    }

    private static bool IsInput(Type type) => type.Name.EndsWith("Input", StringComparison.Ordinal) || type.Name.EndsWith("Request", StringComparison.Ordinal);

    private static string Owner(Type type)
    {
        foreach (var suffix in (string[])["Input", "Response", "Request"])
            if (type.Name.EndsWith(suffix, StringComparison.Ordinal)) return type.Name[..^suffix.Length];
        return type.Name;
    }
}
