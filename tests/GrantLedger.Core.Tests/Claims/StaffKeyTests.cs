using GrantLedger.Core.Claims;

namespace GrantLedger.Core.Tests.Claims;

public sealed class StaffKeyTests
{
    /// <summary>
    /// A reference's hyphen is optional (letters, an optional hyphen, digits): T-01 and T01 name one staff member, whose full
    /// day and TLR are compared by this key, as PostgreSQL compares them (replace(staff_ref, '-', ''), migration 0087).
    /// Digits are kept as typed: T1 and T01 stay two references.
    /// </summary>
    [Theory]
    [InlineData("T-01", "T01", true)]
    [InlineData("STAFF-07", "STAFF07", true)]
    [InlineData("T01", "T01", true)]
    [InlineData("T1", "T01", false)]
    [InlineData("T-01", "TA-01", false)]
    public void AReference_WithAndWithoutItsHyphen_IsOneStaffMember(string one, string other, bool same)
    {
        Assert.NotNull(ClaimLines.StaffReference(one));
        Assert.NotNull(ClaimLines.StaffReference(other));
        Assert.Equal(same, ClaimLines.StaffKey(one) == ClaimLines.StaffKey(other));
        Assert.DoesNotContain('-', ClaimLines.StaffKey(one));
    }
}
