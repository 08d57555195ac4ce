using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.BadInput;

/// <summary>
/// A connection must never go back to the pool in a bad protocol state (seen once as Npgsql's "Received unexpected
/// backend message DataRow" and a 500 under concurrent login fuzzing). Many clients at once send logins (right and
/// wrong), CRM reads, lists and writes, and abandon about half of them mid-request at random moments, so that commands
/// are cancelled at every stage (opening, sending, reading rows, committing). No answer may be a 5xx, the node may log
/// no protocol error, and afterwards every pooled connection still serves requests.
/// </summary>
public abstract class CancellationStressTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact]
    public async Task RequestsAbandonedMidFlightLeaveNoBrokenConnectionBehind()
    {
        using var owner = node.Client();
        var email = $"stress-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
            ids.Add((await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "S", lastName = $"Stress {i}" })))["id"]!.GetValue<string>());

        var failures = new ConcurrentBag<string>();
        var completed = 0;
        var abandoned = 0;
        var until = DateTime.UtcNow.AddSeconds(8);
        await Task.WhenAll(Enumerable.Range(0, 24).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            // A client of its own per worker: abandoning a request closes its connection, as a fuzzer's would.
            using var client = node.Client().WithBearer(owner.AccessToken);
            while (DateTime.UtcNow < until)
            {
                using var cancel = new CancellationTokenSource();
                if (random.Next(2) == 0) cancel.CancelAfter(TimeSpan.FromMilliseconds(random.Next(0, 15)));
                var request = random.Next(6) switch
                {
                    0 => Post("/api/v1/auth/login", new { email, password = "correct horse battery staple" }),
                    1 => Post("/api/v1/auth/login", new { email, password = "wrong" + random.Next() }),
                    2 => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/contacts/{ids[random.Next(ids.Count)]}"),
                    3 => new HttpRequestMessage(HttpMethod.Get, "/api/v1/contacts?limit=50&q=Stress"),
                    4 => Post("/api/v1/contacts", new { firstName = "S", lastName = "Stress" }),
                    _ => new HttpRequestMessage(HttpMethod.Get, "/api/v1/usage"),
                };
                try
                {
                    using var response = await client.Http.SendAsync(request, cancel.Token);
                    var text = await response.Content.ReadAsStringAsync(cancel.Token);
                    Interlocked.Increment(ref completed);
                    if ((int)response.StatusCode >= 500) failures.Add($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {text}");
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref abandoned);
                }
                finally
                {
                    request.Dispose();
                }
            }
        })));

        // Every connection of the pool serves again: more requests at once than the pool holds connections.
        using var after = node.Client().WithBearer(owner.AccessToken);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
            (await after.GetAsync($"/api/v1/contacts/{ids[i % ids.Count]}")).StatusCode));
        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);

        var protocolErrors = node.Logs.Lines.Where(l => l.Contains("unexpected backend message", StringComparison.OrdinalIgnoreCase)
            || (l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Unhandled exception", StringComparison.Ordinal))).ToList();
        protocolErrors.ShouldBeEmpty();
        failures.ShouldBeEmpty($"{completed} answered, {abandoned} abandoned");
        completed.ShouldBeGreaterThan(50);
        abandoned.ShouldBeGreaterThan(10);
    }

    private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
}

public sealed class CancellationStressTestsOnSqlite(SqliteSwitchboard node) : CancellationStressTests<SqliteSwitchboard>(node);
public sealed class CancellationStressTestsOnPostgres(PostgresSwitchboard node) : CancellationStressTests<PostgresSwitchboard>(node);
