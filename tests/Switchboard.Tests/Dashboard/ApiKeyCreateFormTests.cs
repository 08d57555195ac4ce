using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.ApiKeys;
using Switchboard.Dashboard;
using Switchboard.Dashboard.Components.Shared;
using Switchboard.Platform.Validation;
using Switchboard.Usage;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The key creation form as a component (bUnit): how the fields typed become the API's request, and how the API
/// validator's answer is shown, each message beside its field and tied to it for assistive technology.
/// </summary>
public sealed class ApiKeyCreateFormTests : IDisposable
{
    private static readonly string[] Offered = ["*:read", "contacts:read", "contacts:write", "deals:read"];
    private readonly BunitContext _context = new();

    private static ApiKeyForm Typed(params (string Name, string[] Values)[] fields) =>
        ApiKeyForm.From(new FormCollection(fields.ToDictionary(f => f.Name, f => new StringValues(f.Values))));

    private IRenderedComponent<ApiKeyCreateForm> Render(ApiKeyForm input, IReadOnlyDictionary<string, string[]>? errors) =>
        _context.Render<ApiKeyCreateForm>(p => p
            .Add(c => c.Input, input).Add(c => c.AvailableScopes, Offered).Add(c => c.Token, "token-123").Add(c => c.Errors, errors)
            .Add(c => c.Action, "/dashboard/api-keys"));

    [Fact]
    public async Task TheApiValidatorsMessagesAppearBesideTheirFieldsAndWhatWasTypedStays()
    {
        var input = Typed(("name", [""]), ("scopes", []), ("allowedIps", ["10.0.0.0/8\nnot-an-ip"]), ("rateLimitRequests", ["0"]), ("rateLimitWindowSeconds", ["60"]));
        var request = input.ToRequest(out var unreadable).ShouldNotBeNull();
        unreadable.ShouldBeEmpty();
        var problem = (await new CreateApiKeyRequestValidator(TimeProvider.System).CheckAsync(request, CancellationToken.None)).ShouldNotBeNull();
        var errors = DashboardProblems.Errors(problem, ApiKeyForm.ScopesField);

        var form = Render(input, errors);

        form.Find("[role=alert]").TextContent.ShouldContain("The key was not created");
        foreach (var (field, inputId, message) in new[]
                 {
                     ("name", "key-name", "Is required."), ("scopes", null, "At least one scope is required."),
                     ("allowedIps", "key-ips", "Each entry must be an IP address or a CIDR block"), ("rateLimit", "key-requests", "requests must be from 1"),
                 })
        {
            var error = form.Find($"#{field}-error");
            error.TextContent.ShouldContain(message);
            error.ParentElement!.ClassList.ShouldContain("invalid", field); // in the field's own block, under it
            if (inputId is null) continue;
            var control = form.Find("#" + inputId);
            control.GetAttribute("aria-invalid").ShouldBe("true", field);
            if (control.GetAttribute("aria-describedby") is { } describedBy) describedBy.Split(' ').ShouldContain($"{field}-error");
        }
        form.Find("fieldset[aria-describedby~=scopes-error]").ShouldNotBeNull();
        form.FindAll(".field-error").Count.ShouldBe(4);
        form.Find("#key-ips").TextContent.ShouldBe("10.0.0.0/8\nnot-an-ip");
        form.Find("#key-requests").GetAttribute("value").ShouldBe("0");
        form.Find("input[name=csrf]").GetAttribute("value").ShouldBe("token-123");
    }

    [Fact]
    public void FieldsAFormCannotReadAreRefusedBeforeTheApiAndAValidFormBecomesTheRequest()
    {
        var unreadable = Typed(("name", ["Billing"]), ("scopes", ["contacts:read"]), ("expiresAt", ["next week"]), ("rateLimitRequests", ["many"]));
        unreadable.ToRequest(out var errors).ShouldBeNull();
        errors.Keys.Order().ShouldBe(["expiresAt", "rateLimit"]);
        var refused = Render(unreadable, errors);
        refused.Find("#expiresAt-error").TextContent.ShouldContain("2027-01-31T18:00");
        refused.Find("#rateLimit-error").TextContent.ShouldContain("whole numbers");
        refused.Find("#key-expires").GetAttribute("value").ShouldBe("next week");

        var valid = Typed(("name", ["Billing sync"]), ("scopes", ["contacts:read", "deals:read"]), ("expiresAt", ["2031-05-01T09:30"]),
            ("rateLimitRequests", ["100"]), ("rateLimitWindowSeconds", ["60"]), ("allowedIps", ["203.0.113.0/24, 2001:db8::/32\r\n198.51.100.7"]));
        var request = valid.ToRequest(out var none).ShouldNotBeNull();
        none.ShouldBeEmpty();
        request.ShouldBeEquivalentTo(new CreateApiKeyRequest("Billing sync", ["contacts:read", "deals:read"], new DateTime(2031, 5, 1, 9, 30, 0, DateTimeKind.Utc),
            new RateLimitSetting(100, 60), ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]));
        request.ExpiresAt!.Value.Kind.ShouldBe(DateTimeKind.Utc);

        var clean = Render(valid, null);
        clean.FindAll("[role=alert]").ShouldBeEmpty();
        clean.FindAll("[aria-invalid]").ShouldBeEmpty();
        clean.FindAll("input[type=checkbox]").Select(c => c.GetAttribute("value")).ShouldBe(Offered);
        clean.FindAll("input[type=checkbox][checked]").Select(c => c.GetAttribute("value")).ShouldBe(["contacts:read", "deals:read"]);
        foreach (var control in clean.FindAll("input:not([type=hidden]):not([type=checkbox]), textarea"))
            clean.FindAll($"label[for={control.Id}]").ShouldHaveSingleItem(control.Id); // every field has its label
    }

    [Theory]
    [InlineData(799, false)]
    [InlineData(800, true)]
    [InlineData(1000, true)]
    public void TheQuotaSuggestsUpgradingFromEightyPercent(long used, bool prompted)
    {
        var quota = new QuotaStatus("starter", 1000, used, 1000 - used, new DateTime(2026, 12, 5, 0, 0, 0, DateTimeKind.Utc), []);
        var card = _context.Render<QuotaUse>(p => p.Add(c => c.Quota, quota));
        card.FindAll("#upgrade-prompt").Count.ShouldBe(prompted ? 1 : 0);
        card.Find("progress").ClassList.Contains("warn").ShouldBe(prompted);
        card.Markup.ShouldContain($"{used:N0} of 1,000 requests used today");
    }

    public void Dispose() => _context.Dispose();
}
