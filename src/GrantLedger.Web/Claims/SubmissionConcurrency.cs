namespace GrantLedger.Web.Claims;

/// <summary>
/// How many submissions have lately been in the service at once: the most at any moment of this window of
/// <see cref="WindowMs"/> or the one before it. A free writer that finds fewer waiting than that waits a moment for the
/// rest (<see cref="SubmissionGroups.Linger"/>). Not safe across threads: <see cref="SubmissionGroups"/> uses it under its
/// queue's lock.
/// </summary>
/// <param name="milliseconds">the clock, in milliseconds (<see cref="Environment.TickCount64"/>)</param>
public sealed class SubmissionConcurrency(Func<long> milliseconds)
{
    public const long WindowMs = 100;

    private int _now, _peak, _lastPeak;
    private long _windowEnds = long.MinValue;

    /// <summary>Submissions in the service now.</summary>
    public int Now => _now;

    public void Arrived()
    {
        Roll();
        _peak = Math.Max(_peak, ++_now);
    }

    public void Left()
    {
        Roll();
        _now--;
    }

    /// <summary>The most in the service at once in this window or the last.</summary>
    public int Lately
    {
        get
        {
            Roll();
            return Math.Max(_peak, _lastPeak);
        }
    }

    private void Roll()
    {
        var now = milliseconds();
        if (now < _windowEnds) return;
        // a window that saw no arrival or departure had as many in the service all through as there are now
        _lastPeak = now < _windowEnds + WindowMs ? _peak : _now;
        _peak = _now;
        _windowEnds = now + WindowMs;
    }
}
