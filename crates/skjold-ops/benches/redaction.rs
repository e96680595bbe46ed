//! How many log lines a second the redaction gets through (C10): the figures in
//! docs/benchmarks.md. `cargo bench -p skjold-ops --bench redaction`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skjold_ops::layer::{RedactingLayer, StderrFormat};
use skjold_ops::redact::{Redactor, redact_text};
use skjold_ops::request_context;
use tracing_subscriber::layer::SubscriberExt;

/// A request line as the server writes one, without secrets: the common case.
const PLAIN: &str = r#"{"level":"INFO","message":"request finished","span":{"client_ip":"203.0.113.7","latency_ms":2.91,"method":"GET","name":"request","request_id":"0d4f3b8e-5a3c-4a8e-9b1e-2f6c7d8e9a0b","route":"/api/v1/accounts/{account_id}/contacts/{contact_id}","status":200},"target":"skjold_http::request_span","timestamp":"2026-11-26T01:37:51.542547714Z"}"#;

/// A refused request quoting what the client sent: a card number, an address, a token.
const SECRETS: &str = r#"request refused: invalid type: string "4111 1111 1111 1111", expected a sequence; from kari.nordmann@example.no with Bearer skjs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA at line 1 column 48"#;

fn redaction(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact_text");
    group.throughput(Throughput::Elements(1));
    group.bench_function("a request line, nothing to redact", |b| {
        b.iter(|| redact_text(std::hint::black_box(PLAIN)))
    });
    group.bench_function("a line with a card number, an address and a token", |b| {
        b.iter(|| redact_text(std::hint::black_box(SECRETS)))
    });
    group.finish();

    // The whole layer: fields recorded and redacted, the request's fields looked up, the
    // JSON and human lines built (written nowhere).
    let (layer, slot) = RedactingLayer::new(Redactor::default(), StderrFormat::Off);
    slot.without_vault();
    let subscriber = tracing_subscriber::registry().with(layer);
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        eprintln!("no tokio runtime: the layer's benchmark is not run");
        return;
    };
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(request_context::scope(async {
            request_context::record_display("method", "GET");
            request_context::record_text(
                "route",
                "/api/v1/accounts/{account_id}/contacts/{contact_id}",
            );
            request_context::record_text("request_id", "0d4f3b8e-5a3c-4a8e-9b1e-2f6c7d8e9a0b");
            request_context::record_display("client_ip", "203.0.113.7");
            request_context::record_number("status", 200u64);
            request_context::record_float("latency_ms", 2.91);
            let mut group = c.benchmark_group("layer");
            group.throughput(Throughput::Elements(1));
            group.bench_function("one request line with the request's fields", |b| {
                b.iter(|| tracing::info!("request finished"))
            });
            group.finish();
        }));
    });
}

criterion_group!(benches, redaction);
criterion_main!(benches);
