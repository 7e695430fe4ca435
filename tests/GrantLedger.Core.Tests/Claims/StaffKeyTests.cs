using GrantLedger.Core.Claims;

namespace GrantLedger.Core.Tests.Claims;

public sealed class StaffKeyTests
{
    /// <summary>
    /// A reference is letters, an optional hyphen and a number: T1, T01, T-1 and T-01 name one staff member, whose full day
    /// and TLR are compared by this key, as PostgreSQL compares them (staff_key(staff_ref), migration 0092, decision 27).
    /// Other letters or another number are another person.
    /// </summary>
    [Theory]
    [InlineData("T-01", "T01", true)]
    [InlineData("STAFF-07", "STAFF07", true)]
    [InlineData("T01", "T01", true)]
    [InlineData("T1", "T01", true)]
    [InlineData("T-1", "T001", true)]
    [InlineData("T0", "T-000", true)]
    [InlineData("T10", "T1", false)]
    [InlineData("T100", "T-0100", true)]
    [InlineData("T100", "T1", false)]
    [InlineData("T-01", "TA-01", false)]
    public void AReference_WithAndWithoutItsHyphenAndLeadingZeros_IsOneStaffMember(string one, string other, bool same)
    {
        Assert.NotNull(ClaimLines.StaffReference(one));
        Assert.NotNull(ClaimLines.StaffReference(other));
        Assert.Equal(same, ClaimLines.StaffKey(one) == ClaimLines.StaffKey(other));
        Assert.DoesNotContain('-', ClaimLines.StaffKey(one));
    }

    [Theory]
    [InlineData("T-01", "T1")]
    [InlineData("STAFF-007", "STAFF7")]
    [InlineData("T000", "T0")]
    [InlineData("T-0", "T0")]
    [InlineData("AB100", "AB100")]
    [InlineData("T010", "T10")]
    public void TheKey_IsTheLettersAndTheNumber(string reference, string key) => Assert.Equal(key, ClaimLines.StaffKey(reference));
}
