using System.Net;
using System.Net.Http.Headers;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

public abstract class ErrorShapeTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task MalformedJsonIsA400ProblemNotA500()
    {
        using var client = node.Client();
        var response = await client.SendRawAsync(HttpMethod.Post, "/api/v1/auth/signup", "{\"email\": \"a@b.co\", ");
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
    }

    [Fact]
    public async Task AWrongJsonTypeNamesTheField()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var response = await client.SendRawAsync(HttpMethod.Post, "/api/v1/api-keys", "{\"name\": \"k\", \"scopes\": \"contacts:read\"}");
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        problem["errors"]!["scopes"].ShouldNotBeNull();
        var numberAsString = await client.SendRawAsync(HttpMethod.Post, "/api/v1/api-keys",
            "{\"name\": \"k\", \"scopes\": [\"contacts:read\"], \"rateLimit\": {\"requests\": \"many\", \"windowSeconds\": 60}}");
        (await numberAsString.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json"))["errors"]!["rateLimit.requests"].ShouldNotBeNull();
    }

    [Fact]
    public async Task AnEmptyOrNonJsonBodyIsRefusedClearly()
    {
        using var client = node.Client();
        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/auth/login", "", "application/json")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/auth/login", "email=a", "application/x-www-form-urlencoded"))
            .ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/auth/login", "null")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/auth/login", "[1,2]")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
    }

    [Fact]
    public async Task AnOversizedBodyIs413()
    {
        using var client = node.Client();
        var huge = "{\"email\": \"" + new string('a', 2 * 1024 * 1024) + "\"}";
        var response = await client.SendOversizedAsync("/api/v1/auth/login", huge);
        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task UnknownPathsAndMethodsAreProblems()
    {
        using var client = node.Client();
        await client.SignupAsync();
        await (await client.GetAsync("/api/v1/does-not-exist")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await client.Http.PutAsync("/api/v1/me", null)).ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await (await client.GetAsync("/api/v1/api-keys/not-an-id")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await client.GetAsync("/api/v1/api-keys/" + new string('x', 5000))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        await (await client.GetAsync("/api/v1/api-keys?limit=abc")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/api-keys?limit=101")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/api-keys?status=weird")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/audit-logs?createdAfter=yesterday")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task EveryResponseCarriesARequestIdAndAValidIncomingOneIsEchoed()
    {
        using var client = node.Client();
        var generated = await client.GetAsync("/alive");
        generated.Headers.GetValues("X-Request-Id").Single().ShouldStartWith("req_");

        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        request.Headers.Add("X-Request-Id", "trace-abc.123_XYZ");
        var echoed = await client.Http.SendAsync(request);
        echoed.Headers.GetValues("X-Request-Id").Single().ShouldBe("trace-abc.123_XYZ");
        (await echoed.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized"))["requestId"]!.GetValue<string>().ShouldBe("trace-abc.123_XYZ");

        var hostile = new HttpRequestMessage(HttpMethod.Get, "/alive");
        hostile.Headers.TryAddWithoutValidation("X-Request-Id", "<script>alert(1)</script>");
        (await client.Http.SendAsync(hostile)).Headers.GetValues("X-Request-Id").Single().ShouldStartWith("req_");
    }

    [Fact]
    public async Task HealthReportsTheDatabaseAndAliveAnswers()
    {
        using var client = node.Client();
        var health = await client.GetJsonAsync("/health");
        health["status"]!.GetValue<string>().ShouldBe("healthy");
        health["checks"]!["database"]!.GetValue<string>().ShouldBe("up");
        (await client.GetAsync("/alive")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task GarbageCredentialsOfEveryShapeAre401NotErrors()
    {
        using var client = node.Client();
        foreach (var value in new[] { "Bearer", "Bearer ", "Bearer a.b.c", "Bearer sbk_", "Basic dXNlcjpwYXNz", "Bearer " + new string('x', 4000), "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.TryAddWithoutValidation("Authorization", value);
            var response = await client.Http.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, value);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sbk_" + new string('A', 38));
        await (await client.GetAsync("/api/v1/me")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }
}

public sealed class ErrorShapeTestsOnSqlite(SqliteSwitchboard node) : ErrorShapeTests<SqliteSwitchboard>(node);
public sealed class ErrorShapeTestsOnPostgres(PostgresSwitchboard node) : ErrorShapeTests<PostgresSwitchboard>(node);
