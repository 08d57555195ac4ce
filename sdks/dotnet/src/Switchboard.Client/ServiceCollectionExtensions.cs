using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Switchboard.Client;

/// <summary>Registers <see cref="SwitchboardClient"/> with IHttpClientFactory.</summary>
public static class SwitchboardServiceCollectionExtensions
{
    /// <summary>The name of the client's <see cref="HttpClient"/> in IHttpClientFactory.</summary>
    public const string HttpClientName = "Switchboard.Client";

    /// <summary>
    /// Adds a transient <see cref="SwitchboardClient"/> whose HttpClient comes from IHttpClientFactory (pooled, rotated
    /// handlers) with the retry pipeline of <see cref="SwitchboardResilience"/>. Options are validated when first used.
    /// </summary>
    public static IHttpClientBuilder AddSwitchboardClient(this IServiceCollection services, Action<SwitchboardClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SwitchboardClientOptions>().Configure(configure);
        services.AddTransient(sp => new SwitchboardClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<SwitchboardClientOptions>>().Value));
        var builder = services.AddHttpClient(HttpClientName);
        builder.AddResilienceHandler("switchboard", (pipeline, context) =>
            SwitchboardResilience.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<SwitchboardClientOptions>>().Value));
        return builder;
    }
}
