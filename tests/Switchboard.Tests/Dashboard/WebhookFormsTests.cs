using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Dashboard;
using Switchboard.Dashboard.Components.Shared;
using Switchboard.Platform;
using Switchboard.Platform.Validation;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The webhook forms as components (bUnit): the new endpoint's form, whose event picker is the catalog and whose refused
/// fields are explained beside them by the API validator's own messages, and the delivery log's filter form, which keeps
/// the filter of the URL, refused parts included.
/// </summary>
public sealed class WebhookFormsTests : IDisposable
{
    private readonly BunitContext _context = new();
    private static readonly IReadOnlyList<EventTypeInfo> Catalog = EventTypes.Catalog(System.Text.Json.JsonSerializerOptions.Web);

    private static WebhookForm Typed(params (string Name, string[] Values)[] fields) =>
        WebhookForm.From(new FormCollection(fields.ToDictionary(f => f.Name, f => new StringValues(f.Values))));

    private IRenderedComponent<WebhookCreateForm> RenderCreate(WebhookForm input, IReadOnlyDictionary<string, string[]>? errors) =>
        _context.Render<WebhookCreateForm>(p => p.Add(c => c.Input, input).Add(c => c.Catalog, Catalog).Add(c => c.Token, "token-123")
            .Add(c => c.Errors, errors).Add(c => c.Action, "/dashboard/webhooks"));

    [Fact]
    public async Task TheApiValidatorsMessagesAppearBesideTheCreateFormsFieldsAndWhatWasTypedStays()
    {
        var input = Typed(("url", ["ftp://files.example.com/in"]), ("name", [new string('n', 201)]), ("maxDeliveriesPerSecond", ["0"]));
        var request = input.ToInput(out var unreadable).ShouldNotBeNull();
        unreadable.ShouldBeEmpty();
        var validator = new WebhookInputValidator(Options.Create(new SwitchboardOptions()));
        var problem = (await validator.CheckAsync(request, BodyUse.Create, CancellationToken.None)).ShouldNotBeNull();
        var errors = DashboardProblems.Errors(problem, WebhookForm.UrlField);

        var form = RenderCreate(input, errors);

        form.Find("[role=alert]").TextContent.ShouldContain("The endpoint was not created");
        foreach (var (field, inputId) in new[] { ("url", "hook-url"), ("events", (string?)null), ("name", "hook-name"), ("maxDeliveriesPerSecond", "hook-rate") })
        {
            var error = form.Find($"#{field}-error");
            error.TextContent.ShouldNotBeNullOrWhiteSpace();
            error.ParentElement!.ClassList.ShouldContain("invalid", field);
            if (inputId is null) continue;
            var control = form.Find("#" + inputId);
            control.GetAttribute("aria-invalid").ShouldBe("true", field);
            control.GetAttribute("aria-describedby")!.Split(' ').ShouldContain($"{field}-error");
        }
        form.Find("#events-error").TextContent.ShouldContain("1 to 100 event types");
        form.Find("fieldset[aria-describedby~=events-error]").ShouldNotBeNull();
        form.Find("#hook-url").GetAttribute("value").ShouldBe("ftp://files.example.com/in");
        form.Find("#hook-rate").GetAttribute("value").ShouldBe("0");
        form.Find("input[name=csrf]").GetAttribute("value").ShouldBe("token-123");
    }

    [Fact]
    public void ThePickerOffersEveryCatalogTypeItsPrefixesAndEverythingAndKeepsWhatWasTicked()
    {
        var input = Typed(("url", ["https://hooks.example.com/in"]), ("events", ["contact.*", "deal.won", "deal.won"]), ("name", ["  "]), ("maxDeliveriesPerSecond", ["25"]));
        var request = input.ToInput(out var none).ShouldNotBeNull();
        none.ShouldBeEmpty();
        request.Events.Value.ShouldBe(["contact.*", "deal.won"]);
        request.Name.IsSet.ShouldBeFalse(); // blank: left out, as a client would
        request.Description.IsSet.ShouldBeFalse();
        request.MaxDeliveriesPerSecond.Value.ShouldBe(25);

        var form = RenderCreate(input, null);
        var offered = form.FindAll("input[type=checkbox][name=events]").Select(c => c.GetAttribute("value")).ToList();
        offered.ShouldContain("*");
        foreach (var type in Catalog) offered.ShouldContain(type.Type);
        offered.ShouldContain("contact.*");
        offered.ShouldContain("deal.*");
        form.FindAll("input[type=checkbox][checked]").Select(c => c.GetAttribute("value")).ShouldBe(["contact.*", "deal.won"]);
        form.Find("label[for=event-contact-created]").GetAttribute("title").ShouldBe(Catalog.Single(t => t.Type == "contact.created").Description);
        foreach (var control in form.FindAll("input:not([type=hidden]), textarea"))
            form.FindAll($"label[for={control.Id}]").ShouldHaveSingleItem(control.Id);
        form.FindAll("[aria-invalid]").ShouldBeEmpty();
    }

    [Fact]
    public void AThrottleThatIsNoNumberIsRefusedBeforeTheApi()
    {
        var input = Typed(("url", ["https://hooks.example.com/in"]), ("events", ["*"]), ("maxDeliveriesPerSecond", ["fast"]));
        input.ToInput(out var errors).ShouldBeNull();
        errors.Keys.ShouldBe(["maxDeliveriesPerSecond"]);
        RenderCreate(input, errors).Find("#maxDeliveriesPerSecond-error").TextContent.ShouldContain("whole number");
    }

    [Fact]
    public void TheFilterFormKeepsTheUrlsFilterAndMarksTheRefusedParts()
    {
        var query = new QueryCollection(new Dictionary<string, StringValues>
        {
            ["status"] = "failed", ["eventType"] = "contact.*", ["createdAfter"] = "2026-12-01T09:30", ["createdBefore"] = "yesterday",
        });
        DeliveryFilter.Parse(query, out var errors);
        errors.Keys.Order().ShouldBe(["createdBefore", "status"]);

        var form = _context.Render<DeliveryFilterForm>(p => p
            .Add(c => c.Query, query.ToDictionary(q => q.Key, q => q.Value.ToString()))
            .Add(c => c.Errors, errors).Add(c => c.EventTypes, ["contact.*", "contact.created"]).Add(c => c.Action, "/dashboard/webhooks/wh_1"));

        var element = form.Find("form");
        element.GetAttribute("method").ShouldBe("get"); // the filter lives in the URL
        element.GetAttribute("action").ShouldBe("/dashboard/webhooks/wh_1");
        form.Find("#filter-status option[selected]").GetAttribute("value").ShouldBe("failed"); // kept as typed, though refused
        form.Find("#filter-status").GetAttribute("aria-invalid").ShouldBe("true");
        form.Find("#status-error").TextContent.ShouldContain("pending, succeeded or dead");
        form.Find("#filter-type").GetAttribute("value").ShouldBe("contact.*");
        form.Find("#filter-after").GetAttribute("type").ShouldBe("datetime-local");
        form.Find("#filter-after").GetAttribute("value").ShouldBe("2026-12-01T09:30");
        form.Find("#filter-before").GetAttribute("type").ShouldBe("text"); // a time picker would drop "yesterday"
        form.Find("#createdBefore-error").TextContent.ShouldContain("ISO 8601");
        form.FindAll("#filter-types option").Select(o => o.GetAttribute("value")).ShouldBe(["contact.*", "contact.created"]);
        form.Find("[role=alert]").TextContent.ShouldContain("cannot be applied");

        var clean = _context.Render<DeliveryFilterForm>(p => p.Add(c => c.Query, new Dictionary<string, string>()).Add(c => c.Action, "/dashboard/webhooks/wh_1"));
        clean.FindAll("[aria-invalid]").ShouldBeEmpty();
        clean.FindAll("[role=alert]").ShouldBeEmpty();
        clean.FindAll("#filter-status option[selected]").ShouldBeEmpty(); // "any"
    }

    public void Dispose() => _context.Dispose();
}
