import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The server's metrics on swift-metrics, kept in its own Prometheus registry (so several servers in
/// one process — tests — never share counters) and rendered at `GET /metrics`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]
        factory.defaultDurationHistogramBuckets = latency
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        self.factory = factory
    }

    /// One finished request on `route` with `status`, and how long it took.
    func request(route: String, status: Int, duration: Duration) {
        Counter(label: "altclip_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory)
            .increment()
        Timer(label: "altclip_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// Time spent in one stage of a request: tokenize, preprocess, queue, inference.
    func stage(_ name: String, _ duration: Duration) {
        Timer(label: "altclip_stage_duration_seconds", dimensions: [("stage", name)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// A forward pass of `size` inputs of `kind` (text, image).
    func batch(kind: String, size: Int) {
        Recorder(label: "altclip_batch_size", dimensions: [("kind", kind)], factory: factory).record(size)
        Counter(label: "altclip_batches_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    /// Inputs of `kind` waiting for the executor.
    func queueDepth(kind: String, _ depth: Int) {
        Gauge(label: "altclip_queue_depth", dimensions: [("kind", kind)], factory: factory).record(depth)
    }

    /// A classification's label set found in (or added to) the cache.
    func labelCache(hit: Bool) {
        Counter(label: "altclip_label_cache_total", dimensions: [("result", hit ? "hit" : "miss")], factory: factory).increment()
    }

    /// Prometheus text exposition of everything above.
    func render() -> String { registry.emitToString() }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
