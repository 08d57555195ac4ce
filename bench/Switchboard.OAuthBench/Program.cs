// The load side of bench/oauth.sh: token requests against an authorization server's token endpoint over loopback
// HTTP/1.1 (keep-alive), and the minting of Switchboard authorization codes through its real pages.
//
//   mint <origin> <client-id> <email> <password> <redirect-uri> <count> <out-file>
//       Signs in on /signin, consents once, then takes <count> authorization requests (each with its own PKCE pair)
//       through /oauth/authorize and the remembered consent at /oauth/consent, as a signed-in browser does; writes
//       "code verifier" lines.
//   exchange <token-url> <client-id> <client-secret> <redirect-uri> <codes-file> <connections>
//       Redeems every code of the file once (authorization_code + PKCE, client_secret_basic) from <connections>
//       concurrent loops, and stops when they are spent: exchanges/s over exactly that work.
//   closed <token-url> <client-id> <client-secret> <form-body> <connections> <seconds>
//       The same form body from <connections> loops for <seconds>.
//   paced <token-url> <client-id> <client-secret> <form-body> <rate> <seconds>
//       Open loop: request i is due at i/rate seconds and is sent then whatever the earlier ones are doing; latency
//       is measured from when it was due (so a server that falls behind is charged for the queue it causes, which a
//       closed loop or wrk's delay() would hide), and also from when it was sent.
//
// Every command prints one JSON line of results. Only 127.0.0.1 is contacted.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

var command = args.Length > 0 ? args[0] : "";
try
{
    switch (command)
    {
        case "mint":
            await Mint.RunAsync(args[1], args[2], args[3], args[4], args[5], int.Parse(args[6], CultureInfo.InvariantCulture), args[7]);
            break;
        case "exchange":
        {
            var codes = (await File.ReadAllLinesAsync(args[5])).Where(l => l.Length > 0).Select(l => l.Split(' ')).ToArray();
            var redirect = Uri.EscapeDataString(args[4]);
            var bodies = codes.Select(c => $"grant_type=authorization_code&code={Uri.EscapeDataString(c[0])}&code_verifier={c[1]}&redirect_uri={redirect}").ToArray();
            Print(await Load.ClosedAsync(args[1], args[2], args[3], i => i < bodies.Length ? bodies[i] : null, int.Parse(args[6], CultureInfo.InvariantCulture), TimeSpan.FromMinutes(5)));
            break;
        }
        case "closed":
            Print(await Load.ClosedAsync(args[1], args[2], args[3], _ => args[4], int.Parse(args[5], CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds(double.Parse(args[6], CultureInfo.InvariantCulture))));
            break;
        case "paced":
            Print(await Load.PacedAsync(args[1], args[2], args[3], args[4], int.Parse(args[5], CultureInfo.InvariantCulture),
                double.Parse(args[6], CultureInfo.InvariantCulture)));
            break;
        default:
            Console.Error.WriteLine("usage: mint … | exchange … | closed … | paced … (see Program.cs)");
            return 2;
    }
    return 0;
}
catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine(e);
    return 1;
}

static void Print(Dictionary<string, object> result) => Console.WriteLine(JsonSerializer.Serialize(result));

internal static class Load
{
    private static HttpClient Client(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false,
        AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None,
    }) { Timeout = TimeSpan.FromSeconds(30) };

    private static HttpRequestMessage Request(string url, AuthenticationHeaderValue basic, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Authorization = basic;
        return request;
    }

    /// <summary>RFC 6749 §2.3.1: client id and secret form-encoded, then Basic.</summary>
    private static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));

    public static async Task<Dictionary<string, object>> ClosedAsync(string url, string clientId, string secret, Func<int, string?> body,
        int connections, TimeSpan limit)
    {
        using var http = Client(connections);
        var basic = Basic(clientId, secret);
        var next = -1;
        var ok = 0;
        var errors = new ConcurrentDictionary<string, int>();
        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            var local = new List<double>();
            while (clock.Elapsed < limit && body(Interlocked.Increment(ref next)) is { } text)
            {
                var started = clock.Elapsed;
                using var response = await http.SendAsync(Request(url, basic, Encoding.ASCII.GetBytes(text)));
                var answer = await response.Content.ReadAsStringAsync();
                local.Add((clock.Elapsed - started).TotalMilliseconds);
                if (response.StatusCode == HttpStatusCode.OK && answer.Contains("\"access_token\"", StringComparison.Ordinal)) Interlocked.Increment(ref ok);
                else errors.AddOrUpdate($"{(int)response.StatusCode} {answer[..Math.Min(answer.Length, 160)]}", 1, (_, n) => n + 1);
            }
            foreach (var l in local) latencies.Add(l);
        }).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        return Summary(ok, errors, seconds, [.. latencies], null, connections);
    }

    public static async Task<Dictionary<string, object>> PacedAsync(string url, string clientId, string secret, string body, int rate, double seconds)
    {
        using var http = Client(256);
        var basic = Basic(clientId, secret);
        var bytes = Encoding.ASCII.GetBytes(body);
        var total = (int)(rate * seconds);
        var fromDue = new double[total];
        var fromSent = new double[total];
        var ok = 0;
        var errors = new ConcurrentDictionary<string, int>();
        var inFlight = new Task[total];
        var clock = new Stopwatch();
        async Task SendAsync(int index, TimeSpan due)
        {
            var sent = clock.Elapsed;
            try
            {
                using var response = await http.SendAsync(Request(url, basic, bytes));
                var answer = await response.Content.ReadAsStringAsync();
                var done = clock.Elapsed;
                fromDue[index] = (done - due).TotalMilliseconds;
                fromSent[index] = (done - sent).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref ok);
                else errors.AddOrUpdate($"{(int)response.StatusCode} {answer[..Math.Min(answer.Length, 160)]}", 1, (_, n) => n + 1);
            }
            catch (HttpRequestException e)
            {
                fromDue[index] = fromSent[index] = double.NaN;
                errors.AddOrUpdate(e.Message, 1, (_, n) => n + 1);
            }
        }
        clock.Start();
        // The dispatcher is a thread of its own that wakes every millisecond (Thread.Sleep(1)) and starts every request
        // that has fallen due; each request's first steps (the write to the socket) run on it, the rest on the pool.
        var dispatcher = new Thread(() =>
        {
            for (var i = 0; i < total;)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                if (clock.Elapsed < due)
                {
                    Thread.Sleep(1);
                    continue;
                }
                inFlight[i] = SendAsync(i, due);
                i++;
            }
        }) { IsBackground = true, Name = "pacer" };
        dispatcher.Start();
        dispatcher.Join();
        var sending = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(inFlight);
        var result = Summary(ok, errors, clock.Elapsed.TotalSeconds, fromDue.Where(double.IsFinite).ToArray(),
            fromSent.Where(double.IsFinite).ToArray(), 0);
        result["targetRate"] = rate;
        result["sentRate"] = Math.Round(total / sending, 1);
        return result;
    }

    private static Dictionary<string, object> Summary(int ok, ConcurrentDictionary<string, int> errors, double seconds, double[] latencies,
        double[]? serviceTimes, int connections)
    {
        Array.Sort(latencies);
        double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 2);
        var result = new Dictionary<string, object>
        {
            ["ok"] = ok, ["errors"] = errors.Values.Sum(), ["seconds"] = Math.Round(seconds, 3), ["perSecond"] = Math.Round(ok / seconds, 1),
            ["p50"] = P(latencies, 0.50), ["p90"] = P(latencies, 0.90), ["p99"] = P(latencies, 0.99), ["max"] = P(latencies, 1.0),
        };
        if (connections > 0) result["connections"] = connections;
        if (serviceTimes is not null)
        {
            Array.Sort(serviceTimes);
            result["sentP50"] = P(serviceTimes, 0.50);
            result["sentP99"] = P(serviceTimes, 0.99);
        }
        if (!errors.IsEmpty) result["errorSamples"] = errors.OrderByDescending(e => e.Value).Take(3).ToDictionary(e => e.Key, e => e.Value);
        return result;
    }
}

/// <summary>Authorization codes through Switchboard's real pages: sign in, consent once, then remembered consent.</summary>
internal static partial class Mint
{
    public static async Task RunAsync(string origin, string clientId, string email, string password, string redirectUri, int count, string outFile)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies, UseProxy = false, MaxConnectionsPerServer = 8,
        }) { BaseAddress = new Uri(origin) };

        var signIn = await http.GetStringAsync("/signin?returnUrl=%2F");
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["csrf"] = Hidden(signIn, "csrf"), ["email"] = email, ["password"] = password,
        });
        var signedIn = await http.PostAsync("/signin?returnUrl=%2F", form);
        if (signedIn.StatusCode != HttpStatusCode.SeeOther) throw new InvalidOperationException($"sign-in answered {(int)signedIn.StatusCode}");

        var lines = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        lines.Add(await OneAsync(http, clientId, redirectUri, consentIfAsked: true));
        var next = 1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count) lines.Add(await OneAsync(http, clientId, redirectUri, consentIfAsked: false));
        }));
        await File.WriteAllLinesAsync(outFile, lines);
        Console.WriteLine(JsonSerializer.Serialize(new { minted = lines.Count, seconds = Math.Round(clock.Elapsed.TotalSeconds, 2) }));
    }

    private static async Task<string> OneAsync(HttpClient http, string clientId, string redirectUri, bool consentIfAsked)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var url = $"/oauth/authorize?response_type=code&client_id={Uri.EscapeDataString(clientId)}&redirect_uri={Uri.EscapeDataString(redirectUri)}" +
                  $"&scope=contacts%3Aread%20contacts%3Awrite&code_challenge={challenge}&code_challenge_method=S256&state=bench";
        using var authorize = await http.GetAsync(url);
        var consentUrl = authorize.Headers.Location ?? throw new InvalidOperationException($"authorize answered {(int)authorize.StatusCode}");
        using var consent = await http.GetAsync(consentUrl);
        var location = consent.Headers.Location;
        if (consent.StatusCode == HttpStatusCode.OK && consentIfAsked)
        {
            var page = await consent.Content.ReadAsStringAsync();
            var answer = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["csrf"] = Hidden(page, "csrf"), ["org"] = Hidden(page, "org"), ["decision"] = "allow",
            });
            using var approved = await http.PostAsync(consentUrl, answer);
            location = approved.Headers.Location;
        }
        if (location is null || !location.AbsoluteUri.StartsWith(redirectUri.Split("/callback")[0], StringComparison.Ordinal))
            throw new InvalidOperationException($"consent answered {(int)consent.StatusCode} {location}");
        var code = Regex.Match(location.Query, "[?&]code=([^&]+)").Groups[1].Value;
        return Uri.UnescapeDataString(code) + " " + verifier;
    }

    private static string Hidden(string html, string name) =>
        Regex.Match(html, $"<input type=\"hidden\" name=\"{name}\" value=\"([^\"]*)\"") is { Success: true } m
            ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no hidden field {name} in:\n{html}");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
