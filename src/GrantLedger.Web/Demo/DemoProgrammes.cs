using GrantLedger.Core.Money;
using GrantLedger.Web.Programmes;

namespace GrantLedger.Web.Demo;

public sealed record DemoProgramme(
    string Code, string Name, string Funder, string AreaKind, Money? SecondApprovalThreshold,
    (string Code, string Name)[] Areas, int SchoolsPerArea, int FirstUrn, string Phase,
    (string Code, string Name, string Kind)[] Categories,
    Money Funding,
    (string Category, Money Total)[] Splits,
    (string Category, long MinutesPerSchool)[] Allowances);

public sealed partial class DemoData
{
    // Static fields initialise in the order written: these lists come before the programmes that use them.
    private static readonly string[] Icbs =
    [
        "NHS Bath and North East Somerset, Swindon and Wiltshire ICB", "NHS Bedfordshire, Luton and Milton Keynes ICB",
        "NHS Birmingham and Solihull ICB", "NHS Black Country ICB", "NHS Bristol, North Somerset and South Gloucestershire ICB",
        "NHS Buckinghamshire, Oxfordshire and Berkshire West ICB", "NHS Cambridgeshire and Peterborough ICB",
        "NHS Cheshire and Merseyside ICB", "NHS Cornwall and the Isles of Scilly ICB", "NHS Coventry and Warwickshire ICB",
        "NHS Derby and Derbyshire ICB", "NHS Devon ICB", "NHS Dorset ICB", "NHS Frimley ICB", "NHS Gloucestershire ICB",
        "NHS Greater Manchester ICB", "NHS Hampshire and Isle of Wight ICB", "NHS Herefordshire and Worcestershire ICB",
        "NHS Hertfordshire and West Essex ICB", "NHS Humber and North Yorkshire ICB", "NHS Kent and Medway ICB",
        "NHS Lancashire and South Cumbria ICB", "NHS Leicester, Leicestershire and Rutland ICB", "NHS Lincolnshire ICB",
        "NHS Mid and South Essex ICB", "NHS Norfolk and Waveney ICB", "NHS North Central London ICB",
        "NHS North East and North Cumbria ICB", "NHS North East London ICB", "NHS North West London ICB",
        "NHS Northamptonshire ICB", "NHS Nottingham and Nottinghamshire ICB", "NHS Shropshire, Telford and Wrekin ICB",
        "NHS Somerset ICB", "NHS South East London ICB", "NHS South West London ICB", "NHS South Yorkshire ICB",
        "NHS Staffordshire and Stoke-on-Trent ICB", "NHS Suffolk and North East Essex ICB", "NHS Surrey Heartlands ICB",
        "NHS Sussex ICB", "NHS West Yorkshire ICB",
    ];

    private static readonly (string, string, string)[] CommonCategories =
    [
        ("staff-cover", "Staff-time cover", CategoryKinds.StaffCover),
        ("tlr-admin", "TLR and admin", CategoryKinds.TlrAdmin),
        ("action-plan", "Action-plan spending", CategoryKinds.ActionPlan),
    ];

    public static readonly DemoProgramme DifferenceMatters = new(
        "dm", "Difference Matters", "Violence Reduction Unit", "borough", Money.FromPounds(5_000),
        [("camden", "Camden"), ("hackney", "Hackney"), ("haringey", "Haringey"), ("islington", "Islington"),
         ("lambeth", "Lambeth"), ("lewisham", "Lewisham"), ("southwark", "Southwark")],
        SchoolsPerArea: 3, FirstUrn: 100101, Phase: "Secondary",
        [.. CommonCategories,
         ("contact-time", "Leaders' contact time", CategoryKinds.TimeAllowance),
         ("peer-review", "Peer review", CategoryKinds.TimeAllowance)],
        Money.FromPounds(420_000),
        [("staff-cover", Money.FromPounds(252_000)), ("tlr-admin", Money.FromPounds(63_000)), ("action-plan", Money.FromPounds(105_000))],
        // three leaders per school: 4 days of contact time and 1.5 days of peer review each
        [("contact-time", 3 * Minutes.FromDays(4).Value), ("peer-review", 3 * (Minutes.FromDays(1).Value + Minutes.PerDay / 2))]);

    public static readonly DemoProgramme Pins = new(
        "pins", "Partnership for Inclusion of Neurodiversity in Schools", "Department for Education", "icb", Money.FromPounds(7_500),
        Icbs.Select((name, i) => (Code: $"icb-{i + 1:00}", Name: name)).ToArray(),
        SchoolsPerArea: 40, FirstUrn: 200001, Phase: "Primary",
        [.. CommonCategories,
         ("parent-carer-forum", "Parent-carer forum fund", CategoryKinds.ProgrammePot),
         ("specialist-support", "Specialist support days", CategoryKinds.TimeAllowance)],
        Money.FromPounds(13_000_000),
        [("staff-cover", Money.FromPounds(6_500_000)), ("tlr-admin", Money.FromPounds(1_300_000)),
         ("action-plan", Money.FromPounds(4_200_000)), ("parent-carer-forum", Money.FromPounds(1_000_000))],
        [("specialist-support", Minutes.FromDays(5).Value)]);

    private static readonly string[] Places =
    [
        "Oakfield", "Riverside", "Hillcrest", "Meadowbank", "Ashgrove", "Brookside", "Elmwood", "Fairview", "Greenacre", "Hawthorn",
        "Kingsmead", "Larchwood", "Millbrook", "Northgate", "Orchard", "Parkside", "Queensway", "Rosewood", "Southfield", "Thornbury",
        "Upton", "Valley", "Westbrook", "Willowdene", "Yewtree", "Beechwood", "Castlefield", "Daleside", "Eastwood", "Foxhill",
        "Glenmoor", "Highfield", "Ivydene", "Juniper", "Kestrel", "Lakeside", "Moorland", "Newlands", "Oldfield", "Pinewood",
    ];

    private static readonly string[] Kinds = ["", "St Mary's ", "St John's ", "Church of England ", "Community ", "Academy "];

    public static string SchoolName(int urn, string phase)
    {
        var place = Places[urn % Places.Length];
        var kind = Kinds[urn / Places.Length % Kinds.Length];
        return phase == "Primary" ? $"{place} {kind}Primary School".Replace("  ", " ") : $"{place} {kind}High School".Replace("  ", " ");
    }
}
