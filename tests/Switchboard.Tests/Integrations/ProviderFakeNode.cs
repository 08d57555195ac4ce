using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// A node whose provider points at a fake of it on loopback. The fake starts first (the node must know its address
/// before it starts), then the node with the settings the subclass names for it (the provider's OAuth client and URLs,
/// and whatever else its tests need); both are disposed with the fixture. A sealed subclass per database gives
/// <see cref="Create"/>. <see cref="Attach"/> may join the two before the node starts (e.g. the fake reads the node's clock).
/// </summary>
public abstract class ProviderFakeNode<TFake> : IAsyncLifetime where TFake : IAsyncDisposable
{
    public TFake Fake { get; private set; } = default!;
    public SwitchboardFactory Node { get; private set; } = null!;

    protected abstract SwitchboardFactory Create();
    protected abstract Task<TFake> StartFakeAsync();
    protected abstract IEnumerable<(string Key, string Value)> Settings(TFake fake);
    protected virtual void Attach(TFake fake, SwitchboardFactory node) { }

    public async Task InitializeAsync()
    {
        Fake = await StartFakeAsync();
        Node = Create();
        foreach (var (key, value) in Settings(Fake)) Node.With(key, value);
        Attach(Fake, Node);
        _ = Node.Services; // starts the node
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
