namespace Switchboard.Platform.Resources;

/// <summary>
/// The public facts of one kind of thing the API exposes, declared once where it lives (a CRM resource's
/// <c>ResourceDefinition</c>, a capability's own declaration). The scope list, the webhook event catalog, the OpenAPI
/// enumerations and examples and the id-prefix tables are read from these through <see cref="ResourceRegistry"/>,
/// never written a second time.
/// </summary>
/// <param name="Name">Singular, snake case: <c>contact</c>, <c>api_key</c>; events are named after it unless they say otherwise.</param>
public sealed record ApiResource(string Name)
{
    /// <summary>The prefix of its ids (<c>con</c> → <c>con_01J…</c>, see <see cref="Ids"/>); null when it has no id of its own.</summary>
    public string? IdPrefix { get; init; }

    /// <summary>The resource of the scopes that gate it (<c>contacts</c> → <c>contacts:read</c>, <c>contacts:write</c>); null when none.</summary>
    public string? Scope { get; init; }

    /// <summary><c>&lt;scope&gt;:read</c>, for endpoints that gate on it; the resource must declare a <see cref="Scope"/>.</summary>
    public string ReadScope => Auth.Scopes.Read(Scope ?? throw new InvalidOperationException($"{Name} declares no scope."));

    /// <summary><c>&lt;scope&gt;:write</c>, for endpoints that gate on it; the resource must declare a <see cref="Scope"/>.</summary>
    public string WriteScope => Auth.Scopes.Write(Scope ?? throw new InvalidOperationException($"{Name} declares no scope."));

    /// <summary>
    /// What its scope reaches, in plain words for a person deciding whether to grant it (the consent page, the OpenAPI
    /// scope list): "webhook endpoints and deliveries". By default the scope's name with spaces.
    /// </summary>
    public string? ScopeSubject { get; init; }

    /// <summary>Whether its scope reveals the organization's security posture: <c>*:read</c>/<c>*:write</c> do not reach it.</summary>
    public bool SensitiveScope { get; init; }

    /// <summary>The path segment of its records (<c>contacts</c> in <c>/api/v1/contacts/{id}</c>).</summary>
    public string? Collection { get; init; }

    /// <summary>The names of fields of other resources that hold one of its ids; by default <c>&lt;name in camel case&gt;Id</c>.</summary>
    public IReadOnlyList<string> IdFields
    {
        get => field ?? (IdPrefix is null ? [] : [CamelCase(Name) + "Id"]);
        init;
    }

    /// <summary>The types that represent one of its records (their <c>id</c> is one of its ids).</summary>
    public IReadOnlyList<Type> Representations { get; init; } = [];

    /// <summary>The webhook event types it emits, in catalog order.</summary>
    public IReadOnlyList<EventType> Events { get; init; } = [];

    /// <summary>Its fields whose value is one of a fixed list.</summary>
    public IReadOnlyList<Enumeration> Enumerations { get; init; } = [];

    /// <summary>Its string fields that hold an email address, a phone number, a currency or a URL.</summary>
    public IReadOnlyList<FormattedField> Formats { get; init; } = [];

    /// <summary><c>api_key</c> → <c>apiKey</c>.</summary>
    public static string CamelCase(string snake)
    {
        var parts = snake.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}

/// <summary>A webhook event type and the type whose JSON Schema describes its <c>data</c>.</summary>
public sealed record EventType(string Type, string Description, Type Data);

/// <summary>A string field whose value is one of <paramref name="Values"/> (lower case, as the contract fixes them).</summary>
/// <param name="Field">The JSON name of the field.</param>
public sealed record Enumeration(string Field, IReadOnlyList<string> Values)
{
    /// <summary>What a client may send, where that is less than what it may read (a lead becomes converted only by converting).</summary>
    public IReadOnlyList<string>? Settable { get; init; }

    /// <summary>Request types that carry the field (they list <see cref="Settable"/>).</summary>
    public IReadOnlyList<Type> Inputs { get; init; } = [];

    /// <summary>Response types that carry the field.</summary>
    public IReadOnlyList<Type> Outputs { get; init; } = [];
}

/// <summary>What a string field holds, beyond "a string": the validators enforce it, the OpenAPI document says it.</summary>
public enum FieldFormat
{
    /// <summary>An email address.</summary>
    Email,
    /// <summary>A phone number in E.164 form.</summary>
    Phone,
    /// <summary>An ISO 4217 currency code in upper case.</summary>
    Currency,
    /// <summary>An absolute URL.</summary>
    Url,
}

/// <summary>A string field that holds a <paramref name="Format"/>.</summary>
/// <param name="Field">The JSON name of the field.</param>
public sealed record FormattedField(string Field, FieldFormat Format)
{
    /// <summary>Request types that carry the field.</summary>
    public IReadOnlyList<Type> Inputs { get; init; } = [];

    /// <summary>Response types that carry the field.</summary>
    public IReadOnlyList<Type> Outputs { get; init; } = [];
}
