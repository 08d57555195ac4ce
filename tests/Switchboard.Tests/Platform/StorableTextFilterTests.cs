using System.Collections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Http;

namespace Switchboard.Tests.Platform;

public sealed class StorableTextFilterTests
{
    public sealed record Body(string? Name);

    /// <summary>Stands for a service such as the DbContext: its property is a query that must never be enumerated.</summary>
    public sealed class Service
    {
        public int Enumerated { get; private set; }
        public IEnumerable Rows => Enumerate();
        private IEnumerable Enumerate() { Enumerated++; yield return "\0"; }
    }

    private static string Handler(Body body, Service service) => body.Name ?? "";

    private static async Task<(object? Result, Service Service)> InvokeAsync(string name)
    {
        var service = new Service();
        var provider = new ServiceCollection().AddSingleton(service).BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var context = new EndpointFilterFactoryContext
        {
            MethodInfo = typeof(StorableTextFilterTests).GetMethod(nameof(Handler), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!,
            ApplicationServices = provider,
        };
        var filtered = StorableTextFilter.Factory(context, _ => ValueTask.FromResult<object?>("handled"));
        var invocation = EndpointFilterInvocationContext.Create(new DefaultHttpContext(), new Body(name), service);
        return (await filtered(invocation), service);
    }

    [Fact]
    public async Task ANulInTheBodyIsRefusedAndTheHandlersServicesAreNeverWalked()
    {
        var (refused, service) = await InvokeAsync("a\0b");
        Assert.IsNotType<string>(refused);
        Assert.Equal(0, service.Enumerated);

        var (handled, other) = await InvokeAsync("plain");
        Assert.Equal("handled", handled);
        Assert.Equal(0, other.Enumerated);
    }
}
