using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// What one service's instruments of a meter measure from now on, summed by instrument name, as dotnet-counters or an
/// exporter would read them: only the meters that service's own <see cref="IMeterFactory"/> made.
/// </summary>
public sealed class MeterReadings : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _sums = [];

    public MeterReadings(IServiceProvider services, string meterName)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, factory)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument.Name, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Add(instrument.Name, value));
        _listener.Start();
    }

    public long this[string instrument]
    {
        get
        {
            lock (_sums) return _sums.GetValueOrDefault(instrument);
        }
    }

    private void Add(string instrument, long value)
    {
        lock (_sums) _sums[instrument] = _sums.GetValueOrDefault(instrument) + value;
    }

    public void Dispose() => _listener.Dispose();
}
