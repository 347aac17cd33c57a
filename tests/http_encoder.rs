//! The HTTP encoder against a small fake OpenAI-compatible embeddings server.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use duijie::embed::{Embedder, HttpEncoder, HttpEncoderConfig};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct Fake {
    requests: AtomicUsize,
    /// Answer 503 to this many requests first.
    failures: AtomicUsize,
}

/// Embeds each text as [len, 1, 0]: easy to check order and normalisation.
async fn embeddings(
    State(fake): State<Arc<Fake>>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    if fake
        .failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "busy"})),
        );
    }
    let inputs = body["input"].as_array().cloned().unwrap_or_default();
    // Reverse the order and give indexes, as some services do.
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, t)| json!({"index": i, "embedding": [t.as_str().unwrap().chars().count() as f32, 1.0, 0.0]}))
        .collect();
    (
        StatusCode::OK,
        Json(json!({"data": data, "model": body["model"]})),
    )
}

/// Starts the fake server on a random loopback port; returns its URL.
fn start(fake: Arc<Fake>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = Router::new()
                .route("/v1/embeddings", post(embeddings))
                .with_state(fake);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}/v1/embeddings")
}

fn config(url: &str) -> HttpEncoderConfig {
    let mut config = HttpEncoderConfig::new(url, "fake-model", 3);
    config.batch_size = 2;
    config.backoff = Duration::from_millis(10);
    config.timeout = Duration::from_secs(5);
    config
}

#[test]
fn batches_keep_order_and_vectors_are_normalised() {
    let fake = Arc::new(Fake::default());
    let encoder = HttpEncoder::new(config(&start(fake.clone())));
    let texts = ["一", "二二", "三三三", "四四四四", "五五五五五"];
    let vectors = encoder.embed(&texts).unwrap();
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        3,
        "5 texts in batches of 2"
    );
    for (text, v) in texts.iter().zip(&vectors) {
        let len = text.chars().count() as f32;
        let norm = (len * len + 1.0).sqrt();
        assert!((v[0] - len / norm).abs() < 1e-6, "{text}: {v:?}");
        assert!((v[1] - 1.0 / norm).abs() < 1e-6);
    }
    assert_eq!(encoder.dimension(), 3);
}

#[test]
fn transient_failures_are_retried() {
    let fake = Arc::new(Fake::default());
    fake.failures.store(2, Ordering::SeqCst);
    let encoder = HttpEncoder::new(config(&start(fake.clone())));
    let vectors = encoder.embed(&["锂电池"]).unwrap();
    assert_eq!(vectors.len(), 1);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3);
}

#[test]
fn persistent_failure_gives_a_clear_error() {
    let fake = Arc::new(Fake::default());
    fake.failures.store(100, Ordering::SeqCst);
    let url = start(fake.clone());
    let encoder = HttpEncoder::new(config(&url));
    let error = encoder.embed(&["锂电池"]).unwrap_err().to_string();
    assert!(
        error.contains(&url) && error.contains("4 attempt"),
        "{error}"
    );
    assert_eq!(fake.requests.load(Ordering::SeqCst), 4);
}

#[test]
fn an_unreachable_service_is_named_in_the_error() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1/embeddings");
    let error = HttpEncoder::new(config(&url))
        .embed(&["x"])
        .unwrap_err()
        .to_string();
    assert!(error.contains(&url), "{error}");
}

#[test]
fn a_wrong_dimension_is_refused() {
    let fake = Arc::new(Fake::default());
    let mut config = config(&start(fake));
    config.dimension = 8;
    let error = HttpEncoder::new(config)
        .embed(&["x"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("dimension 3"), "{error}");
}
