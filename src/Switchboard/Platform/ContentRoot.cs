using Microsoft.Extensions.Configuration;

namespace Switchboard.Platform;

/// <summary>
/// Where the host looks for <c>appsettings.json</c>. ASP.NET Core's default is the working directory, which holds the
/// shipped settings only under <c>dotnet run</c>: a service manager starts <c>dotnet /opt/switchboard/Switchboard.dll</c>
/// from <c>/</c>, and the node then ran on the framework's defaults (every SQL command logged at Information). The
/// settings ship beside the assembly (the Web SDK copies them to the build and publish output), so that is the content
/// root unless the operator names one. Paths in the settings are not affected: the SQLite file stays under the
/// working directory (<c>data/switchboard.db</c>), as the contract says.
/// </summary>
public static class ContentRoot
{
    /// <summary>
    /// The host's options: <paramref name="args"/>, and the content root of the assembly's directory unless
    /// <c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c> or <c>DOTNET_CONTENTROOT</c> names one (the test host does).
    /// </summary>
    public static WebApplicationOptions Options(string[] args)
    {
        // The sources the host itself reads its content root from (HostDefaults.ContentRootKey), in its order.
        var named = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_").AddEnvironmentVariables("ASPNETCORE_").AddCommandLine(args)
            .Build()[HostDefaults.ContentRootKey];
        return new WebApplicationOptions { Args = args, ContentRootPath = string.IsNullOrEmpty(named) ? AppContext.BaseDirectory : null };
    }
}
