using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GrantLedger.Web.ActionPlans;

/// <summary>One version of a school's action plan for a programme year.</summary>
public sealed class ActionPlan : Access.ISchoolRecord
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public long ProgrammeYearId { get; set; }
    public long SchoolId { get; set; }
    public int Version { get; set; }
    /// <summary>Kebab-case ActionPlanState: draft, submitted, agreed, superseded.</summary>
    public string State { get; set; } = "draft";
    public List<string> Themes { get; set; } = [];
    public DateOnly? StudentGroupAgreedOn { get; set; }
    public string Summary { get; set; } = "";
    public string? Feedback { get; set; }
    public long CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long? SubmittedBy { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }
    public long? AgreedBy { get; set; }
    public DateTimeOffset? AgreedAt { get; set; }
    public DateTimeOffset? SupersededAt { get; set; }
    /// <summary>PostgreSQL's xmin: changes with every update, so it serves as the ETag.</summary>
    public uint RowVersion { get; set; }
    public List<ActionPlanAction> Actions { get; set; } = [];
}

/// <summary>An action of one plan version; <see cref="ActionRef"/> stays the same across versions.</summary>
public sealed class ActionPlanAction
{
    public long Id { get; set; }
    public long ActionPlanId { get; set; }
    public int ActionRef { get; set; }
    public required string Theme { get; set; }
    public required string Description { get; set; }
    public long PeriodId { get; set; }
    public long EstimatedCostPence { get; set; }
}

public sealed class ActionPlanConfiguration : IEntityTypeConfiguration<ActionPlan>
{
    public void Configure(EntityTypeBuilder<ActionPlan> b)
    {
        b.Property(p => p.RowVersion).IsRowVersion().HasColumnName("xmin").HasColumnType("xid");
        b.HasMany(p => p.Actions).WithOne().HasForeignKey(a => a.ActionPlanId);
    }
}

public sealed class ActionPlanActionConfiguration : IEntityTypeConfiguration<ActionPlanAction>
{
    public void Configure(EntityTypeBuilder<ActionPlanAction> b) => b.ToTable("action_plan_action");
}
