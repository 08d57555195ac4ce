using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// What the sync and HubSpot suites share: a node pointed at a <see cref="HubSpotFake"/>, and installations made
/// straight in the database with their tokens stored as the OAuth callback stores them (the installations API is
/// built beside this work, not under it).
/// </summary>
public static class SyncTestKit
{
    public static SwitchboardFactory PointedAt(this SwitchboardFactory node, HubSpotFake fake) => node
        .With("Switchboard:Integrations:Providers:hubspot:BaseUrls:api", fake.BaseUrl)
        .With("Switchboard:Integrations:Providers:hubspot:TokenUrl", fake.BaseUrl + "/oauth/v1/token")
        .With("Switchboard:Integrations:Providers:hubspot:ClientId", HubSpotFake.ClientId)
        .With("Switchboard:Integrations:Providers:hubspot:ClientSecret", HubSpotFake.ClientSecret)
        .With("Switchboard:Integrations:SchedulerPollSeconds", "0.1")
        .With("Switchboard:Integrations:SyncLeaseSeconds", "5");

    /// <summary>A HubSpot installation of <paramref name="organizationId"/>, connected to <paramref name="portal"/> (tokens valid for 30 minutes).</summary>
    public static Task<string> InstallHubSpotAsync(this SwitchboardFactory node, string organizationId, HubSpotFake.Portal portal, JsonObject? config = null,
        string status = InstallationStatus.Active, string? refreshToken = null) =>
        node.InstallHubSpotAsync(organizationId, portal.AccessToken, refreshToken ?? portal.RefreshToken, config, status);

    /// <summary>A HubSpot installation with these tokens (valid for 30 minutes), in <paramref name="status"/>.</summary>
    public static async Task<string> InstallHubSpotAsync(this SwitchboardFactory node, string organizationId, string accessToken, string refreshToken,
        JsonObject? config = null, string status = InstallationStatus.Active)
    {
        var id = Switchboard.Platform.Ids.New(IntegrationResources.Installations, node.Clock);
        var now = node.Clock.GetUtcNow().UtcDateTime;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            db.Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = organizationId, ProviderKey = "hubspot", Name = "HubSpot", Config = (config ?? []).ToJsonString(),
                Status = InstallationStatus.PendingAuth, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        await node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(accessToken, refreshToken, now.AddMinutes(30), "oauth crm.objects.contacts.read", "bearer"), CancellationToken.None);
        if (status != InstallationStatus.Active)
            await node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, status)));
        return id;
    }

    public static async Task<T> WithDbAsync<T>(this SwitchboardFactory node, Func<SwitchboardDbContext, Task<T>> read)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>());
    }

    /// <summary>Starts a sync through the API and answers the queued runs.</summary>
    public static async Task<JsonArray> StartSyncAsync(this ApiClient client, string installationId, string? model = null)
    {
        var response = await client.PostAsync($"/api/v1/integrations/{installationId}/sync", model is null ? new { } : new { model });
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["data"]!.AsArray();
    }

    /// <summary>Polls the run until it finished (succeeded or failed), at most <paramref name="seconds"/>.</summary>
    public static async Task<JsonObject> WaitForRunAsync(this ApiClient client, string installationId, string runId, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var run = await client.GetJsonAsync($"/api/v1/integrations/{installationId}/sync-runs/{runId}");
            if (run["status"]!.GetValue<string>() is "succeeded" or "failed") return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The run did not finish: {run.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    /// <summary>Syncs one model and waits for the run to succeed; answers it.</summary>
    public static async Task<JsonObject> SyncAsync(this ApiClient client, string installationId, string model)
    {
        var run = (await client.StartSyncAsync(installationId, model)).Single()!;
        var done = await client.WaitForRunAsync(installationId, run["id"]!.GetValue<string>());
        done["status"]!.GetValue<string>().ShouldBe("succeeded", done.ToJsonString());
        return done;
    }

    public static int Count(this JsonObject run, string name) => run["counts"]![name]!.GetValue<int>();
}
