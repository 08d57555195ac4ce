using System.Security.Cryptography;
using Switchboard.Platform.Resources;

namespace Switchboard.Platform;

/// <summary>
/// Opaque, type-prefixed identifiers (<c>con_01J…</c>). The part after the prefix is a ULID
/// (https://github.com/ulid/spec): 48 bits of milliseconds then 80 random bits in Crockford base32,
/// so ids sort by creation time, which keeps B-tree inserts local and makes id a stable sort key.
/// </summary>
public static class Ids
{
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly System.Buffers.SearchValues<char> CrockfordChars = System.Buffers.SearchValues.Create(Crockford);
    public const int UlidLength = 26;
    public const int MaxLength = 40;

    private static readonly Lock Gate = new();
    private static readonly UInt128 RandomMask = (UInt128.One << 80) - 1;
    /// <summary>The last random part given in each of the most recent milliseconds (a ring of them).</summary>
    private const int Recent = 64;
    private static readonly long[] RecentMs = new long[Recent];
    private static readonly UInt128[] RecentRandom = new UInt128[Recent];
    private static int _next;

    /// <summary>
    /// A new id. Within one process ids are strictly increasing (the ULID spec's monotonic mode): in the same
    /// millisecond the random part of the previous id is incremented, so records and events made in one request
    /// sort in the order they were made.
    /// </summary>
    public static string New(string prefix, TimeProvider? time = null)
    {
        var ms = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        UInt128 bits;
        lock (Gate)
        {
            // Only within one millisecond: after a clock step back the time part stays true (access-token ids carry
            // their issue instant, which revocation compares), at the cost of order across the step. Fresh random bits
            // are drawn only for a new millisecond: the ids after the first in a millisecond are its successors anyway,
            // and the system RNG (a syscall through OpenSSL) was a measurable share of a cheap request. The last few
            // milliseconds are remembered, not only the last: a thread that read the clock just before another thread's
            // id of the next millisecond (or a node on another clock, as tests run them) still continues its own
            // millisecond's sequence, so two events of one request never sort the wrong way round.
            var slot = Array.IndexOf(RecentMs, ms);
            if (slot >= 0 && RecentRandom[slot] < RandomMask) bits = RecentRandom[slot] + 1;
            else
            {
                Span<byte> random = stackalloc byte[16];
                RandomNumberGenerator.Fill(random);
                bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(random) & RandomMask;
                if (slot < 0)
                {
                    slot = _next;
                    _next = (_next + 1) % Recent;
                    RecentMs[slot] = ms;
                }
            }
            RecentRandom[slot] = bits;
        }
        return string.Create(prefix.Length + 1 + UlidLength, (prefix, ms, bits), static (span, s) =>
        {
            s.prefix.AsSpan().CopyTo(span);
            span[s.prefix.Length] = '_';
            var ulid = span[(s.prefix.Length + 1)..];
            var t = s.ms;
            for (var i = 9; i >= 0; i--) { ulid[i] = Crockford[(int)(t & 31)]; t >>= 5; }
            // 80 random bits -> 16 base32 characters.
            var r = s.bits;
            for (var i = 25; i >= 10; i--) { ulid[i] = Crockford[(int)(r & 31)]; r >>= 5; }
        });
    }

    /// <summary>A new id of a declared resource, with the prefix its declaration gives (<see cref="ResourceRegistry"/>).</summary>
    public static string New(ApiResource resource, TimeProvider? time = null) => New(PrefixOf(resource), time);

    /// <summary><see cref="LooksValid(string?, string)"/> with the prefix of a declared resource.</summary>
    public static bool LooksValid(string? id, ApiResource resource) => LooksValid(id, PrefixOf(resource));

    private static string PrefixOf(ApiResource resource) =>
        resource.IdPrefix ?? throw new InvalidOperationException($"The resource {resource.Name} declares no id prefix.");

    /// <summary>Cheap shape check so that garbage never reaches the database.</summary>
    public static bool LooksValid(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 1 + UlidLength && id.StartsWith(prefix, StringComparison.Ordinal)
        && id[prefix.Length] == '_' && id.AsSpan(prefix.Length + 1).IndexOfAnyExcept(CrockfordChars) < 0;
}
