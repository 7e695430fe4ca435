using GrantLedger.Web.Claims;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// What the submissions' writer expects to arrive together (<see cref="SubmissionConcurrency"/>): as many as were in the
/// service at once in this window or the last, and no more once they have gone two windows. The writer waits for that
/// many before it writes (ClaimRulesTests: the linger, end to end).
/// </summary>
public sealed class SubmissionConcurrencyTests
{
    private long _clock = 1_000_000;
    private SubmissionConcurrency New() => new(() => _clock);

    [Fact]
    public void OneClientAtATime_IsExpectedAlone()
    {
        var c = New();
        for (var i = 0; i < 20; i++)
        {
            c.Arrived();
            _clock += 3;
            c.Left();
            _clock += 1;
            Assert.Equal(1, c.Lately);
        }
    }

    [Fact]
    public void FourClientsAnsweredTogether_AreExpectedTogetherWhileTheyComeBack_AndForgottenTwoWindowsAfter()
    {
        var c = New();
        for (var i = 0; i < 4; i++) c.Arrived();
        _clock += 4;
        for (var i = 0; i < 4; i++) c.Left();
        Assert.Equal((0, 4), (c.Now, c.Lately)); // all four answered: the writer waits for them to come back

        _clock += SubmissionConcurrency.WindowMs; // the next window remembers the last one's four
        c.Arrived();
        Assert.Equal((1, 4), (c.Now, c.Lately));
        c.Left();

        _clock += SubmissionConcurrency.WindowMs; // a window of one at a time since: one is what comes
        Assert.Equal(1, c.Lately);
        _clock += 2 * SubmissionConcurrency.WindowMs; // and after a quiet one, none
        Assert.Equal(0, c.Lately);
    }

    [Fact]
    public void SubmissionsStillWaiting_KeepTheirCountThroughQuietWindows()
    {
        var c = New();
        for (var i = 0; i < 3; i++) c.Arrived(); // three held up behind a long lock
        _clock += 10 * SubmissionConcurrency.WindowMs;
        Assert.Equal(3, c.Lately);
        c.Left();
        Assert.Equal(3, c.Lately); // the window just ended held three
        _clock += 2 * SubmissionConcurrency.WindowMs;
        Assert.Equal(2, c.Lately);
    }
}
