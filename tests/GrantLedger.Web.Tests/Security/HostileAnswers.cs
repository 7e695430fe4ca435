using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// What the API's fuzz tests ask of every answer to hostile input, kept as they go: never a 500, nothing the service had
/// to log as an error (the database refusing what the service should have checked), and a refusal (4xx) that is a
/// problem document and wrote nothing.
/// </summary>
public sealed class HostileAnswers(DatabaseFixture db)
{
    private readonly List<string> _failures = [];

    public int Sent { get; private set; }

    /// <param name="shown">the request, as a failure names it</param>
    public async Task<Answer> SendAsync(string shown, Func<Task<Answer>> send)
    {
        var (before, errors) = (await Written.FingerprintAsync(db), ServerErrors.Logged);
        var answer = await send();
        Sent++;
        var status = (int)answer.Status;
        if (status >= 500) _failures.Add($"{shown} → {status} {Clip(answer.Body, 200)}\n{Clip(ServerErrors.Recent(), 400)}");
        else if (ServerErrors.Logged != errors) _failures.Add($"{shown} → {status}, but the service logged an error: {Clip(ServerErrors.Recent(), 400)}");
        else if (status >= 400)
        {
            if (answer.ContentType != "application/problem+json") _failures.Add($"{shown} → {status} without a problem document");
            if (await Written.FingerprintAsync(db) != before) _failures.Add($"{shown} → {status} but something was written");
        }
        return answer;
    }

    /// <summary>Fails with every failure seen (the first 60), or when fewer than <paramref name="atLeast"/> requests were sent.</summary>
    public void AssertNone(int atLeast)
    {
        Assert.True(_failures.Count == 0, $"{_failures.Count} failures:\n" + string.Join("\n", _failures.Take(60)));
        Assert.True(Sent >= atLeast, $"only {Sent} requests were sent");
    }

    public static string Clip(string text, int length) => text.Length > length ? text[..length] + "…" : text;
}
