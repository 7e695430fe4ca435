using GrantLedger.Core.Rules;
using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Web.Access;

/// <summary>
/// Failed sign-ins per client address, in windows of a minute (<see cref="GrantLedgerOptions.FailedSignInsPerMinute"/>):
/// once an address has that many in its window, every sign-in from it is refused (429) until the window ends. A sign-in
/// that succeeds does not count, so that many schools behind one network's address (a local authority's, a schools'
/// broadband consortium's) can all sign in at nine o'clock while a password guesser behind the same address cannot go
/// on. Each attempt is counted before its password is checked and given back when it succeeds: attempts sent at once
/// cannot pass the check together. The limit on all attempts (<see cref="GrantLedgerOptions.SignInsPerMinute"/>) still
/// bounds the password hashing any one address can ask of the service.
/// </summary>
public sealed class SignInFailures(GrantLedgerOptions options)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (DateTimeOffset Ends, int Count)> _windows = new();
    private DateTimeOffset _nextSweep;

    /// <summary>
    /// Counts an attempt from the request's address, before its password is checked; <see cref="GiveBack"/> gives it back.
    /// </summary>
    /// <exception cref="RuleBroken">429 "rate-limited" (with Retry-After, in seconds) when the address has failed too often</exception>
    public void Begin(HttpContext http)
    {
        var address = Security.ClientAddress(http);
        var now = DateTimeOffset.UtcNow;
        int? wait = null;
        lock (_windows)
        {
            Sweep(now);
            var window = _windows.TryGetValue(address, out var w) && w.Ends > now ? w : (Ends: now + Window, Count: 0);
            if (window.Count >= options.FailedSignInsPerMinute) wait = (int)Math.Ceiling((window.Ends - now).TotalSeconds);
            else _windows[address] = (window.Ends, window.Count + 1);
        }
        if (wait is { } seconds)
            throw new RuleBroken("rate-limited", $"Too many failed sign-ins from this address: try again in {seconds} seconds.", 429,
                details: new Dictionary<string, object?> { [ProblemAnswers.RetryAfterMember] = seconds });
    }

    /// <summary>The attempt signed someone in, or could not be checked: it does not count against the address.</summary>
    public void GiveBack(HttpContext http)
    {
        var address = Security.ClientAddress(http);
        lock (_windows)
            if (_windows.TryGetValue(address, out var w) && w.Count > 0) _windows[address] = (w.Ends, w.Count - 1);
    }

    /// <summary>Forgets the windows that have ended, at most once a minute: an address that stops trying is not kept.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now < _nextSweep) return;
        _nextSweep = now + Window;
        foreach (var (address, window) in _windows.ToList())
            if (window.Ends <= now) _windows.Remove(address);
    }
}
