using System.Collections;
using FluentValidation;
using Switchboard.Platform.Http;
using Switchboard.Platform.Validation;

namespace Switchboard.Tests.Platform;

public sealed class StorableTextTests
{
    public sealed record Inner(string? Label, IReadOnlyList<string>? Tags);
    public sealed record Body(string? Name, Optional<string?> Nickname, Optional<Dictionary<string, string>?> Metadata, Inner? Inner, int Count);
    private sealed class AnyBody : AbstractValidator<Body>;

    /// <summary>Stands for a query (a DbContext's set): it must never be enumerated.</summary>
    public sealed class Query : IQueryable<string>
    {
        public int Enumerated { get; private set; }
        public Type ElementType => typeof(string);
        public System.Linq.Expressions.Expression Expression => System.Linq.Expressions.Expression.Constant(this);
        public IQueryProvider Provider => throw new NotSupportedException();
        public IEnumerator<string> GetEnumerator() { Enumerated++; yield return "\0"; }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public sealed record WithQuery(string Name, Query Rows);

    [Theory]
    [InlineData("name")]
    [InlineData("nickname")]
    [InlineData("metadata")]
    [InlineData("inner.label")]
    [InlineData("inner.tags")]
    public async Task TheOneValidationCallRefusesANulAndNamesTheField(string field)
    {
        var body = new Body("plain", new Optional<string?>("nick", true), new Optional<Dictionary<string, string>?>(new() { ["k"] = "v" }, true), new Inner("l", ["a", "b"]), 3);
        body = field switch
        {
            "name" => body with { Name = "a\0b" },
            "nickname" => body with { Nickname = new Optional<string?>("\0", true) },
            "metadata" => body with { Metadata = new Optional<Dictionary<string, string>?>(new() { ["k"] = "v\0" }, true) },
            "inner.label" => body with { Inner = new Inner("x\0", null) },
            _ => body with { Inner = new Inner(null, ["ok", "b\0"]) },
        };
        var refused = await new AnyBody().CheckAsync(body, CancellationToken.None);
        Assert.NotNull(refused);
        Assert.Equal(400, refused.StatusCode);
        var errors = Assert.IsAssignableFrom<IDictionary<string, string[]>>(refused.ProblemDetails.Extensions["errors"]);
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public async Task ACleanBodyPassesAndAQueryIsNeverEnumerated()
    {
        var body = new Body("plain", default, default, new Inner("l", ["a"]), 1);
        Assert.Null(await new AnyBody().CheckAsync(body, CancellationToken.None));
        Assert.Null(await new AnyBody().CheckAsync(body, BodyUse.Create, CancellationToken.None));

        var query = new Query();
        Assert.Null(StorableText.FindNul(new WithQuery("plain", query)));
        Assert.Equal(0, query.Enumerated);
    }
}
