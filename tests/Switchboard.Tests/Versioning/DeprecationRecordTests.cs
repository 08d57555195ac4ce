using Switchboard.Platform.Versioning;

namespace Switchboard.Tests.Versioning;

public sealed class DeprecationRecordTests
{
    [Fact]
    public void HeadersFollowTheirRfcFormats()
    {
        var deprecation = new Deprecation(new DateTimeOffset(2026, 11, 22, 13, 30, 15, TimeSpan.FromHours(1)), new DateTimeOffset(2027, 1, 5, 0, 0, 0, TimeSpan.Zero), "2026-11-22");
        deprecation.DeprecationHeader.ShouldBe("@1795350615"); // 12:30:15 UTC
        deprecation.SunsetHeader.ShouldBe("Tue, 05 Jan 2027 00:00:00 GMT");
        deprecation.LinkValue.ShouldBe("</developers/changelog#2026-11-22>; rel=\"deprecation\"; type=\"text/html\"");
    }

    [Fact]
    public void ASunsetBeforeTheDeprecationIsRefused() =>
        // RFC 9745 §5: Sunset should not be earlier than Deprecation; a declaration that says so is a mistake.
        Should.Throw<ArgumentException>(() => new Deprecation(new DateOnly(2027, 1, 1), new DateOnly(2026, 12, 31), "x"));

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("a>b")]
    public void AnAnchorThatCannotSitInALinkIsRefused(string anchor) =>
        Should.Throw<ArgumentException>(() => new Deprecation(new DateOnly(2026, 1, 1), new DateOnly(2027, 1, 1), anchor));
}
