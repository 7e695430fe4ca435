using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrantLedger.Web.Tests.Support;

/// <summary>Every entry logged through it, at every level, for a test to read what the service told its operator.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>A logger of one category, for a class made by hand (not by the host).</summary>
    public ILogger<T> For<T>() => new Microsoft.Extensions.Logging.Logger<T>(new LoggerFactory([this]));

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
