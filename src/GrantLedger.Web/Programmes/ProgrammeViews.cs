using GrantLedger.Core.Money;

namespace GrantLedger.Web.Programmes;

public sealed record ProgrammeView(long Id, string Code, string Name, string Funder, string Currency, string AreaKind,
    Money? SecondApprovalThreshold, DateTimeOffset CreatedAt)
{
    public static ProgrammeView Of(Programme p) => new(p.Id, p.Code, p.Name, p.Funder, p.Currency, p.AreaKind,
        p.SecondApprovalThresholdPence is { } t ? new Money(t) : null, p.CreatedAt);
}

public sealed record PeriodView(long Id, string Code, string Name, DateOnly StartsOn, DateOnly EndsOn, bool Closed)
{
    public static PeriodView Of(Period p) => new(p.Id, p.Code, p.Name, p.StartsOn, p.EndsOn, p.ClosedAt is not null);
}

public sealed record YearView(long Id, long ProgrammeId, string Code, DateOnly StartsOn, DateOnly EndsOn, bool Closed,
    IReadOnlyList<PeriodView> Periods)
{
    public static YearView Of(ProgrammeYear y) => new(y.Id, y.ProgrammeId, y.Code, y.StartsOn, y.EndsOn, y.ClosedAt is not null,
        y.Periods.OrderBy(p => p.StartsOn).Select(PeriodView.Of).ToList());
}

public sealed record AreaView(long Id, long ProgrammeId, string Code, string Name)
{
    public static AreaView Of(Area a) => new(a.Id, a.ProgrammeId, a.Code, a.Name);
}

public sealed record CategoryView(long Id, long ProgrammeId, string Code, string Name, string Unit, string Kind)
{
    public static CategoryView Of(BudgetCategory c) => new(c.Id, c.ProgrammeId, c.Code, c.Name, c.Unit, c.Kind);
}

public sealed record SchoolView(long Id, long ProgrammeId, string Urn, string Name, string Phase, string? LocalAuthority,
    long AreaId, string? PayeeReference)
{
    public static SchoolView Of(School s) => new(s.Id, s.ProgrammeId, s.Urn, s.Name, s.Phase, s.LocalAuthority, s.AreaId, s.PayeeReference);
}
