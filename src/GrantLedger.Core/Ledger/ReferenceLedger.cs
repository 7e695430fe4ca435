using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Ledger;

/// <summary>
/// The ledger's rules in memory: a specification the PostgreSQL ledger is tested against.
/// Applying an entry is all-or-nothing; a refused entry changes nothing.
/// </summary>
public sealed class ReferenceLedger
{
    private sealed record AccountState(Unit Unit, LimitKind Limit, Balance Balance);
    private sealed record PendingState(TransferDraft Transfer, bool Resolved);

    private readonly Dictionary<long, AccountState> _accounts = new();
    private readonly Dictionary<long, PendingState> _pending = new();
    private long _nextTransferId = 1;

    public void Open(long accountId, Unit unit, LimitKind limit) => _accounts.Add(accountId, new(unit, limit, Balance.Zero));

    public Balance BalanceOf(long accountId) => _accounts[accountId].Balance;

    public IEnumerable<long> AccountIds => _accounts.Keys;

    /// <summary>Σ(debits − credits) over all accounts of a unit, posted and pending: always zero.</summary>
    public (long Posted, long Pending) TrialBalance(Unit unit) =>
        _accounts.Values.Where(a => a.Unit == unit).Aggregate((0L, 0L), (sum, a) =>
            (sum.Item1 + a.Balance.DebitsPosted - a.Balance.CreditsPosted,
             sum.Item2 + a.Balance.DebitsPending - a.Balance.CreditsPending));

    /// <summary>Applies the entry and returns the new transfers' ids, or throws without changing anything.</summary>
    public IReadOnlyList<long> Apply(EntryDraft entry)
    {
        entry.Validate();
        var deltas = new Dictionary<long, Balance>();
        void Add(long account, Balance delta) =>
            deltas[account] = deltas.TryGetValue(account, out var d) ? d + delta : delta;

        var resolving = new HashSet<long>();
        foreach (var t in entry.Transfers)
        {
            if (!_accounts.TryGetValue(t.DebitAccountId, out var debit) || !_accounts.TryGetValue(t.CreditAccountId, out var credit))
                throw new NotFound("account", t.DebitAccountId);
            if (debit.Unit != t.Unit || credit.Unit != t.Unit)
                throw new RuleBroken("transfer-mixes-units", "a transfer moves one unit between accounts of that unit");

            long held = 0;
            if (t.PendingId is { } pid)
            {
                if (!_pending.TryGetValue(pid, out var p))
                    throw new RuleBroken("not-a-pending-transfer", $"transfer {pid} is not a pending transfer", 409);
                if (p.Resolved || !resolving.Add(pid))
                    throw new RuleBroken("pending-already-resolved", $"pending transfer {pid} was already posted or voided", 409);
                if (p.Transfer.DebitAccountId != t.DebitAccountId || p.Transfer.CreditAccountId != t.CreditAccountId)
                    throw new RuleBroken("resolution-accounts-differ", $"transfer resolving {pid} must use the same accounts");
                if (t.Kind == TransferKind.PostPending && t.Amount > p.Transfer.Amount)
                    throw new RuleBroken("post-exceeds-pending", $"cannot post {t.Amount} against a hold of {p.Transfer.Amount}");
                if (t.Kind == TransferKind.VoidPending && t.Amount != p.Transfer.Amount)
                    throw new RuleBroken("void-must-release-all", $"voiding releases all {p.Transfer.Amount} held");
                held = p.Transfer.Amount;
            }

            var (posted, pending) = t.Kind switch
            {
                TransferKind.Posted => (t.Amount, 0L),
                TransferKind.Pending => (0L, t.Amount),
                TransferKind.PostPending => (t.Amount, -held),
                _ => (0L, -held),
            };
            Add(t.DebitAccountId, new Balance(posted, 0, pending, 0));
            Add(t.CreditAccountId, new Balance(0, posted, 0, pending));
        }

        foreach (var (id, delta) in deltas.OrderBy(d => d.Key))
        {
            var a = _accounts[id];
            var next = a.Balance + delta;
            if (!next.WithinLimit(a.Limit))
                throw new RuleBroken("limit-exceeded", $"account {id} would go past its limit by {-next.Available(a.Limit)}",
                    details: new Dictionary<string, object?> { ["accountId"] = id, ["shortfall"] = -next.Available(a.Limit) });
        }

        foreach (var (id, delta) in deltas) _accounts[id] = _accounts[id] with { Balance = _accounts[id].Balance + delta };
        var ids = new List<long>();
        foreach (var t in entry.Transfers)
        {
            var id = _nextTransferId++;
            ids.Add(id);
            if (t.Kind == TransferKind.Pending) _pending[id] = new PendingState(t, false);
            if (t.PendingId is { } pid) _pending[pid] = _pending[pid] with { Resolved = true };
        }
        return ids;
    }
}
