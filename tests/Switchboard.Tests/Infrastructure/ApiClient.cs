using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.Infrastructure;

/// <summary>An HTTP client of one node with the credentials of one caller, and helpers that assert the API's conventions.</summary>
public sealed class ApiClient(HttpClient http, SwitchboardFactory node) : IDisposable
{
    public HttpClient Http { get; } = http;
    public SwitchboardFactory Node { get; } = node;
    public string? AccessToken { get; private set; }
    public string? RefreshToken { get; private set; }
    public string? OrganizationId { get; private set; }
    public string? UserId { get; private set; }

    public ApiClient WithBearer(string? token)
    {
        Http.DefaultRequestHeaders.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        return this;
    }

    public ApiClient WithApiKey(string key)
    {
        Http.DefaultRequestHeaders.Authorization = null;
        Http.DefaultRequestHeaders.Remove("X-API-Key");
        Http.DefaultRequestHeaders.Add("X-API-Key", key);
        return this;
    }

    /// <summary>Signs up a new organization and uses its owner's access token from then on.</summary>
    public async Task<JsonObject> SignupAsync(string? email = null, string password = "correct horse battery staple", string organization = "Acme")
    {
        email ??= $"owner-{Guid.NewGuid():N}@example.com";
        var response = await PostAsync("/api/v1/auth/signup", new { email, password, name = "Owner", organizationName = organization });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await ReadAsync(response);
        UseSession(body);
        return body;
    }

    public void UseSession(JsonObject auth)
    {
        AccessToken = auth["accessToken"]!.GetValue<string>();
        RefreshToken = auth["refreshToken"]!.GetValue<string>();
        OrganizationId = auth["organization"]!["id"]!.GetValue<string>();
        UserId = auth["user"]!["id"]!.GetValue<string>();
        WithBearer(AccessToken);
    }

    /// <summary>Creates an API key with the current credentials and returns the full create response.</summary>
    public async Task<JsonObject> CreateKeyAsync(params string[] scopes) => await CreateKeyAsync(new { name = "test key", scopes });

    public async Task<JsonObject> CreateKeyAsync(object body)
    {
        var response = await PostAsync("/api/v1/api-keys", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ReadAsync(response);
    }

    /// <summary>A second client of the same node with no credentials.</summary>
    public ApiClient Anonymous() => Node.Client();

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);
    public Task<HttpResponseMessage> DeleteAsync(string path) => Http.DeleteAsync(path);
    public Task<HttpResponseMessage> PostAsync(string path, object? body) => Http.PostAsJsonAsync(path, body);
    public Task<HttpResponseMessage> PatchAsync(string path, object body) => Http.PatchAsJsonAsync(path, body);

    public Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return Http.SendAsync(request);
    }

    /// <summary>
    /// Sends a body the server will refuse by its Content-Length. With Expect: 100-continue the client waits for that
    /// answer instead of racing the server, which closes the connection on the rest of the body.
    /// </summary>
    public Task<HttpResponseMessage> SendOversizedAsync(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        return Http.SendAsync(request);
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    public async Task<JsonObject> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await GetAsync(path);
        response.StatusCode.ShouldBe(expected, await response.Content.ReadAsStringAsync());
        return await ReadAsync(response);
    }

    /// <summary>
    /// The endpoint's single delivery, once its status is <paramref name="status"/> (polled for up to 5 s; the last read
    /// otherwise, for the caller's assertion to report).
    /// </summary>
    public async Task<JsonNode> SingleDeliveryOnceAsync(string endpointId, string status)
    {
        JsonNode? delivery = null;
        for (var i = 0; i < 100 && delivery?["status"]?.GetValue<string>() != status; i++)
        {
            await Task.Delay(50);
            delivery = (await GetJsonAsync($"/api/v1/webhooks/{endpointId}/deliveries"))["data"]!.AsArray().Single();
        }
        return delivery!;
    }

    public void Dispose() => Http.Dispose();
}

public static class ProblemAssertions
{
    /// <summary>Asserts an RFC 9457 problem with this API's stable code and request id, and returns it.</summary>
    public static async Task<JsonObject> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var problem = JsonNode.Parse(text)!.AsObject();
        problem["status"]!.GetValue<int>().ShouldBe((int)status);
        problem["code"]!.GetValue<string>().ShouldBe(code, text);
        problem["title"].ShouldNotBeNull();
        problem["detail"].ShouldNotBeNull();
        problem["requestId"]!.GetValue<string>().ShouldBe(response.Headers.GetValues("X-Request-Id").Single());
        return problem;
    }

    public static JsonElement Json(this string text) => JsonDocument.Parse(text).RootElement;
}
