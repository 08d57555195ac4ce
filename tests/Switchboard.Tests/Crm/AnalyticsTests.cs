using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

public abstract class AnalyticsTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<string> PostAsync(ApiClient client, string path, string body)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task TheSummaryCountsWhatHappenedInThePeriod()
    {
        using var client = node.Client();
        await client.SignupAsync();
        await PostAsync(client, "/api/v1/contacts", """{"firstName":"A"}""");
        var lead = await PostAsync(client, "/api/v1/leads", """{"name":"L1","source":"web"}""");
        await PostAsync(client, "/api/v1/leads", """{"name":"L2","source":"web"}""");
        (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/leads/{lead}/convert", """{"amount":100,"currency":"USD"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PostAsync(client, "/api/v1/deals", """{"name":"W1","amount":1000.25,"currency":"EUR","stage":"won"}""");
        var deal = await PostAsync(client, "/api/v1/deals", """{"name":"W2","amount":500,"currency":"EUR"}""");
        (await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/deals/{deal}", """{"stage":"won"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PostAsync(client, "/api/v1/calls", """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550101","status":"missed"}""");
        (await client.SendRawAsync(HttpMethod.Post, "/api/v1/chat/message", """{"body":"hi"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await PostAsync(client, "/api/v1/payments", """{"amount":99.99,"currency":"USD","status":"completed"}""");
        await PostAsync(client, "/api/v1/payments", """{"amount":0.01,"currency":"USD","status":"completed"}""");
        await PostAsync(client, "/api/v1/payments", """{"amount":5,"currency":"USD","status":"failed"}""");

        var summary = await client.GetJsonAsync("/api/v1/analytics/summary");
        summary["contactsCreated"]!["current"]!.GetValue<long>().ShouldBe(2); // one more from the conversion
        summary["leadsCreated"]!["current"]!.GetValue<long>().ShouldBe(2);
        summary["leadsCreated"]!["previous"]!.GetValue<long>().ShouldBe(0);
        summary["leadsCreated"]!["changePercent"].ShouldBeNull();
        summary["leadsConverted"]!["current"]!.GetValue<long>().ShouldBe(1);
        summary["leadConversionRate"]!.GetValue<double>().ShouldBe(50.0);
        summary["dealsCreated"]!["current"]!.GetValue<long>().ShouldBe(3);
        summary["dealsWon"]!["current"]!.GetValue<long>().ShouldBe(2);
        var won = summary["wonAmount"]!.AsArray().Single()!;
        won["currency"]!.GetValue<string>().ShouldBe("EUR");
        won["amount"]!.GetValue<decimal>().ShouldBe(1500.25m);
        summary["missedCalls"]!["current"]!.GetValue<long>().ShouldBe(1);
        summary["chatSessions"]!["current"]!.GetValue<long>().ShouldBe(1);
        summary["chatMessages"]!["current"]!.GetValue<long>().ShouldBe(1);
        summary["paymentsCompleted"]!["current"]!.GetValue<long>().ShouldBe(2);
        summary["paymentsFailed"]!["current"]!.GetValue<long>().ShouldBe(1);
        summary["revenue"]!.AsArray().Single()!["amount"]!.GetValue<decimal>().ShouldBe(100m);

        using var other = node.Client();
        await other.SignupAsync();
        (await other.GetJsonAsync("/api/v1/analytics/summary"))["leadsCreated"]!["current"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task CallAnalyticsGroupByDayStatusAndOutcome()
    {
        using var client = node.Client();
        await client.SignupAsync();
        await PostAsync(client, "/api/v1/calls", """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550101","status":"completed","durationSeconds":60,"outcome":"sale","startedAt":"2026-03-01T10:00:00Z"}""");
        await PostAsync(client, "/api/v1/calls", """{"direction":"outbound","fromNumber":"+14155550100","toNumber":"+14155550102","status":"completed","durationSeconds":120,"outcome":"sale","startedAt":"2026-03-01T23:59:00Z"}""");
        await PostAsync(client, "/api/v1/calls", """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550103","status":"missed","startedAt":"2026-03-02T00:01:00Z"}""");

        var calls = await client.GetJsonAsync("/api/v1/analytics/calls?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z");
        calls["total"]!.GetValue<long>().ShouldBe(3);
        calls["totalDurationSeconds"]!.GetValue<long>().ShouldBe(180);
        var days = calls["byDay"]!.AsArray();
        days.Select(d => d!["date"]!.GetValue<string>()).ShouldBe(["2026-03-01", "2026-03-02"]);
        days[0]!["total"]!.GetValue<long>().ShouldBe(2);
        days[0]!["averageDurationSeconds"]!.GetValue<double>().ShouldBe(90);
        days[1]!["missed"]!.GetValue<long>().ShouldBe(1);
        calls["byOutcome"]!.AsArray().First()!["key"]!.GetValue<string>().ShouldBe("sale");
        calls["byDirection"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task LeadAnalyticsReportConversionBySource()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var web = await PostAsync(client, "/api/v1/leads", """{"name":"W1","source":"website"}""");
        await PostAsync(client, "/api/v1/leads", """{"name":"W2","source":"website"}""");
        await PostAsync(client, "/api/v1/leads", """{"name":"R1","source":"referral","status":"qualified"}""");
        (await client.SendRawAsync(HttpMethod.Post, $"/api/v1/leads/{web}/convert", "{}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var leads = await client.GetJsonAsync("/api/v1/analytics/leads");
        leads["total"]!.GetValue<long>().ShouldBe(3);
        leads["converted"]!.GetValue<long>().ShouldBe(1);
        var website = leads["bySource"]!.AsArray().Single(s => s!["source"]!.GetValue<string>() == "website")!;
        website["leads"]!.GetValue<long>().ShouldBe(2);
        website["conversionRate"]!.GetValue<double>().ShouldBe(50.0);
        leads["byStatus"]!.AsArray().Select(s => s!["key"]!.GetValue<string>()).Order().ShouldBe(["converted", "new", "qualified"]);
    }

    [Fact]
    public async Task APeriodMustBeValid()
    {
        using var client = node.Client();
        await client.SignupAsync();
        await (await client.GetAsync("/api/v1/analytics/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/analytics/calls?from=someday")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/analytics/leads?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var noScope = node.Client().WithApiKey((await client.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>());
        await (await noScope.GetAsync("/api/v1/analytics/summary")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }
}

public sealed class AnalyticsTestsOnSqlite(SqliteSwitchboard node) : AnalyticsTests<SqliteSwitchboard>(node);
public sealed class AnalyticsTestsOnPostgres(PostgresSwitchboard node) : AnalyticsTests<PostgresSwitchboard>(node);
