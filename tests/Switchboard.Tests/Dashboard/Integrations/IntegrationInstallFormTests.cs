using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.Dashboard;
using Switchboard.Dashboard.Components.Shared;
using Switchboard.Integrations.Catalog;

namespace Switchboard.Tests.Dashboard.Integrations;

/// <summary>
/// The install form generated from a provider's configuration schema, as a component (bUnit): which control each schema
/// type becomes, with its label, required mark, help text and default; and how a refusal is shown, each message under
/// its field, what was typed kept and no secret sent back to the browser.
/// </summary>
public sealed class IntegrationInstallFormTests : IDisposable
{
    private readonly BunitContext _context = new();

    private static readonly JsonObject EveryKind = JsonNode.Parse("""
        {
          "type": "object",
          "required": ["endpoint", "apiKey", "mode"],
          "properties": {
            "endpoint": { "type": "string", "format": "uri", "title": "Endpoint", "description": "Where requests go." },
            "mode": { "enum": ["fast", "safe"], "default": "safe", "description": "How requests are sent." },
            "verbose": { "type": "boolean", "default": true, "description": "Log every request." },
            "retries": { "type": "integer", "minimum": 0, "maximum": 10, "default": 3 },
            "recipients": { "type": "array", "items": { "type": "string" }, "description": "Who is told." },
            "apiKey": { "type": "string", "writeOnly": true, "description": "Your account's key." },
            "password": { "type": "string", "format": "password" },
            "headers": { "type": "object", "additionalProperties": { "type": "string" } }
          }
        }
        """)!.AsObject();

    private IRenderedComponent<IntegrationInstallForm> Render(IntegrationConfigForm form, IReadOnlyDictionary<string, string[]>? errors = null) =>
        _context.Render<IntegrationInstallForm>(p => p
            .Add(c => c.Form, form).Add(c => c.ProviderName, "Example").Add(c => c.Token, "token-123").Add(c => c.Errors, errors)
            .Add(c => c.Action, "/dashboard/integrations/marketplace/example"));

    private static FormCollection Typed(params (string Name, string Value)[] fields) =>
        new FormCollection(fields.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => new StringValues(g.Select(f => f.Value).ToArray())));

    [Fact]
    public void EachSchemaTypeBecomesItsControlWithLabelRequiredMarkHelpAndDefault()
    {
        var form = Render(IntegrationConfigForm.For(EveryKind));

        // string (format uri): a URL input, required, its description as help text tied to it.
        var endpoint = form.Find("#cfg-endpoint");
        endpoint.GetAttribute("type").ShouldBe("url");
        endpoint.GetAttribute("name").ShouldBe("config.endpoint");
        endpoint.HasAttribute("required").ShouldBeTrue();
        form.Find("label[for=cfg-endpoint]").TextContent.ShouldContain("Endpoint");
        form.Find("label[for=cfg-endpoint] .required").TextContent.ShouldBe("(required)");
        endpoint.GetAttribute("aria-describedby").ShouldBe("cfg-endpoint-hint");
        form.Find("#cfg-endpoint-hint").TextContent.ShouldContain("Where requests go.");

        // enum: a select of its values with the default chosen; required and defaulted, so no empty choice.
        var mode = form.Find("select#cfg-mode");
        mode.QuerySelectorAll("option").Select(o => o.GetAttribute("value")).ShouldBe(["fast", "safe"]);
        mode.QuerySelector("option[selected]")!.GetAttribute("value").ShouldBe("safe");
        form.Find("label[for=cfg-mode]").TextContent.ShouldContain("(required)");

        // boolean: a checkbox, ticked by its default; integer: a number input holding its default.
        var verbose = form.Find("#cfg-verbose");
        verbose.GetAttribute("type").ShouldBe("checkbox");
        verbose.HasAttribute("checked").ShouldBeTrue();
        form.Find("label[for=cfg-verbose]").TextContent.ShouldContain("Verbose");
        form.Find("label[for=cfg-verbose]").TextContent.ShouldNotContain("(required)");
        var retries = form.Find("#cfg-retries");
        retries.GetAttribute("type").ShouldBe("number");
        retries.GetAttribute("value").ShouldBe("3");

        // array of strings: a textarea, one per line; other shapes (an object): JSON in a textarea.
        form.Find("textarea#cfg-recipients").ShouldNotBeNull();
        form.Find("#cfg-recipients-hint").TextContent.ShouldContain("One per line.");
        form.Find("textarea#cfg-headers").ClassList.ShouldContain("mono");
        form.Find("#cfg-headers-hint").TextContent.ShouldContain("As JSON.");

        // writeOnly and format password: password inputs, said to be stored encrypted.
        foreach (var secret in new[] { "apiKey", "password" })
        {
            var input = form.Find("#cfg-" + secret);
            input.GetAttribute("type").ShouldBe("password", secret);
            input.GetAttribute("autocomplete").ShouldBe("new-password");
            form.Find($"#cfg-{secret}-hint").TextContent.ShouldContain("never shown again");
        }
        form.Find("label[for=cfg-apiKey]").TextContent.ShouldContain("API key");

        // Every field has its label; the form carries the session's token; nothing is marked invalid yet.
        foreach (var control in form.FindAll("input:not([type=hidden]), select, textarea"))
            form.FindAll($"label[for='{control.Id}']").ShouldHaveSingleItem(control.Id);
        form.Find("input[name=csrf]").GetAttribute("value").ShouldBe("token-123");
        form.FindAll("[aria-invalid]").ShouldBeEmpty();
        form.FindAll("[role=alert]").ShouldBeEmpty();
    }

    [Fact]
    public void RefusedFieldsAreExplainedUnderThemWhatWasTypedStaysAndSecretsAreNotEchoed()
    {
        const string secret = "sk_live_do-not-echo-9f2c";
        var schema = (JsonObject)EveryKind.DeepClone();
        schema["properties"]!.AsObject().Remove("password"); // format password is not a format the API's validator checks
        schema["properties"]!["recipients"]!["items"]!["pattern"] = "^\\+[0-9]{8,15}$";
        var provider = new ProviderDefinition
        {
            Key = "form_test_" + Guid.NewGuid().ToString("N")[..8], Name = "Example", Description = "For the form's tests.", Category = ProviderCategory.Automation,
            Auth = new ProviderAuth(ProviderAuthKind.ApiKey), ConfigSchema = schema.ToJsonString(),
        };

        // A number that is not one is refused before the API, under its field, with what was typed kept.
        var unreadable = IntegrationConfigForm.From(schema, Typed(("config.endpoint", "https://example.com/hook"), ("config.retries", "ten"), ("config.apiKey", secret)));
        unreadable.ToConfig(out var formErrors).ShouldBeNull();
        formErrors.Keys.ShouldBe(["config.retries"]);
        var refusedEarly = Render(unreadable, formErrors);
        refusedEarly.Find("#cfg-retries").GetAttribute("value").ShouldBe("ten");
        refusedEarly.Find("#config\\.retries-error").TextContent.ShouldContain("whole number");

        // The rest is the API's own schema validation (ConfigSchemas.Validate, as POST /api/v1/integrations runs it).
        var typed = IntegrationConfigForm.From(schema, Typed(("name", "Ops hook"), ("config.endpoint", "not a url"), ("config.mode", "fast"), ("config.retries", "42"),
            ("config.recipients", "+14155550123\r\n0800-CALL-NOW"), ("config.apiKey", secret), ("config.headers", "{\"X-Env\": \"test\"}")));
        var config = typed.ToConfig(out var none).ShouldNotBeNull();
        none.ShouldBeEmpty();
        config["verbose"]!.GetValue<bool>().ShouldBeFalse("an unticked box with a default says false");
        config["recipients"]!.AsArray().Count.ShouldBe(2);
        config["apiKey"]!.GetValue<string>().ShouldBe(secret, "the secret typed goes to the API");
        var errors = ConfigSchemas.Validate(provider, config);
        errors.Keys.ShouldBe(["config.endpoint", "config.recipients[1]", "config.retries"], ignoreOrder: true);

        var form = Render(typed, errors);
        form.Find("[role=alert]").TextContent.ShouldContain("type the secret fields again");
        foreach (var (field, id) in new[] { ("endpoint", "cfg-endpoint"), ("recipients", "cfg-recipients"), ("retries", "cfg-retries") })
        {
            var error = form.Find($"#config\\.{field}-error");
            error.ParentElement!.ClassList.ShouldContain("invalid", field); // in the field's own block, under its control
            error.ParentElement!.QuerySelector("#" + id).ShouldNotBeNull(field);
            form.Find("#" + id).GetAttribute("aria-invalid").ShouldBe("true", field);
            form.Find("#" + id).GetAttribute("aria-describedby")!.Split(' ').ShouldContain($"config.{field}-error");
        }
        form.Find("#config\\.retries-error").TextContent.ShouldContain("10");
        form.FindAll(".field-error").Count.ShouldBe(3);
        form.Find("#install-name").GetAttribute("value").ShouldBe("Ops hook");
        form.Find("#cfg-endpoint").GetAttribute("value").ShouldBe("not a url");
        form.Find("#cfg-mode option[selected]").GetAttribute("value").ShouldBe("fast");
        form.Find("#cfg-recipients").TextContent.ShouldBe("+14155550123\n0800-CALL-NOW"); // HTML reads a textarea's CRLF as LF
        form.Find("#cfg-headers").TextContent.ShouldBe("{\"X-Env\": \"test\"}");
        form.Find("#cfg-verbose").HasAttribute("checked").ShouldBeFalse();
        form.Find("#cfg-apiKey").GetAttribute("value").ShouldBeNullOrEmpty();
        form.Markup.ShouldNotContain(secret);
    }

    [Theory]
    [InlineData("bodyTemplate", "Body template")]
    [InlineData("webhookUrl", "Webhook URL")]
    [InlineData("apiKeyHeader", "API key header")]
    [InlineData("phoneNumberId", "Phone number ID")]
    public void APropertyWithoutATitleIsLabelledInWords(string name, string label) => IntegrationConfigForm.Humanize(name).ShouldBe(label);

    public void Dispose() => _context.Dispose();
}
