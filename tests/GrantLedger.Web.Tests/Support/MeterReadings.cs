using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// What one service's instruments of a meter measure from now on, by instrument name, as dotnet-counters or an exporter
/// would read them: a counter's measurements summed, an observable instrument's value as it is when read. Only the
/// meters that service's own <see cref="IMeterFactory"/> made.
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
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Add(instrument, value));
        _listener.Start();
    }

    public long this[string instrument]
    {
        get
        {
            _listener.RecordObservableInstruments();
            lock (_sums) return _sums.GetValueOrDefault(instrument);
        }
    }

    private void Add(Instrument instrument, long value)
    {
        lock (_sums) _sums[instrument.Name] = instrument.IsObservable ? value : _sums.GetValueOrDefault(instrument.Name) + value;
    }

    public void Dispose() => _listener.Dispose();
}
