using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>What every connector's uninstall test checks the same way: the uninstall through the API, the row gone, the inbound URL 410.</summary>
internal static class UninstallTestKit
{
    /// <summary><c>DELETE /api/v1/integrations/{id}</c> answers 204 and the installation (with its encrypted tokens) is gone.</summary>
    public static async Task UninstallAsync(SwitchboardFactory node, ApiClient owner, string installation)
    {
        var response = await owner.DeleteAsync($"/api/v1/integrations/{installation}");
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        (await node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().AnyAsync(i => i.Id == installation))).ShouldBeFalse();
    }

    /// <summary>A provider's call to the uninstalled installation's inbound URL: 410 Gone as a problem, code <c>gone</c>.</summary>
    public static async Task ShouldBeGoneAsync(SwitchboardFactory node, string installation, HttpMethod? method = null, string kind = "events")
    {
        using var anonymous = node.Client();
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/{kind}");
        if (request.Method == HttpMethod.Post) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await anonymous.Http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Gone);
        if (request.Method == HttpMethod.Head) return;
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        (await ApiClient.ReadAsync(response))["code"]!.GetValue<string>().ShouldBe("gone");
    }
}
