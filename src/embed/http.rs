//! Client for an OpenAI-compatible `/v1/embeddings` endpoint, for operators
//! who run their own embedding service. Batched, with a timeout per request
//! and retries with exponential backoff on connection errors, 429 and 5xx.

use super::{normalize, Embedder};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where and how to reach the service.
#[derive(Debug, Clone)]
pub struct HttpEncoderConfig {
    /// Full endpoint URL, e.g. `http://127.0.0.1:8080/v1/embeddings`.
    pub url: String,
    /// Model name sent with each request.
    pub model: String,
    /// Bearer token, if the service wants one.
    pub api_key: Option<String>,
    /// Dimension the service returns (checked on every response).
    pub dimension: usize,
    /// Texts per request.
    pub batch_size: usize,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Backoff before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl HttpEncoderConfig {
    /// A configuration with defaults for batching, timeout and retries.
    pub fn new(url: impl Into<String>, model: impl Into<String>, dimension: usize) -> Self {
        HttpEncoderConfig {
            url: url.into(),
            model: model.into(),
            api_key: None,
            dimension,
            batch_size: 64,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }

    /// From `DUIJIE_EMBED_URL`, `DUIJIE_EMBED_MODEL`, `DUIJIE_EMBED_DIM` and
    /// optionally `DUIJIE_EMBED_KEY`; `None` when no URL is set.
    pub fn from_env() -> Result<Option<Self>> {
        let Ok(url) = std::env::var("DUIJIE_EMBED_URL") else {
            return Ok(None);
        };
        let model = std::env::var("DUIJIE_EMBED_MODEL").unwrap_or_else(|_| "default".into());
        let dimension = std::env::var("DUIJIE_EMBED_DIM")
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| {
                Error::Internal("DUIJIE_EMBED_DIM must be set to the service's dimension".into())
            })?;
        let mut config = HttpEncoderConfig::new(url, model, dimension);
        config.api_key = std::env::var("DUIJIE_EMBED_KEY").ok();
        Ok(Some(config))
    }
}

#[derive(Serialize)]
struct EmbeddingRequest<'a> {
    model: &'a str,
    input: &'a [&'a str],
}

#[derive(Deserialize)]
struct EmbeddingResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// Encoder backed by an HTTP embeddings service.
pub struct HttpEncoder {
    config: HttpEncoderConfig,
    agent: ureq::Agent,
}

impl HttpEncoder {
    /// A client for the configured service (no request is made yet).
    pub fn new(config: HttpEncoderConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .build()
            .into();
        HttpEncoder { config, agent }
    }

    fn request(&self, batch: &[&str]) -> std::result::Result<Vec<Vec<f32>>, (bool, String)> {
        let body = EmbeddingRequest {
            model: &self.config.model,
            input: batch,
        };
        let mut request = self.agent.post(&self.config.url);
        if let Some(key) = &self.config.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request.send_json(&body).map_err(|e| {
            let retryable = match &e {
                ureq::Error::StatusCode(code) => *code == 429 || *code >= 500,
                _ => true,
            };
            (retryable, e.to_string())
        })?;
        let parsed: EmbeddingResponse = response
            .body_mut()
            .read_json()
            .map_err(|e| (false, format!("unreadable response: {e}")))?;
        if parsed.data.len() != batch.len() {
            return Err((
                false,
                format!(
                    "{} embeddings returned for {} texts",
                    parsed.data.len(),
                    batch.len()
                ),
            ));
        }
        let mut items = parsed.data;
        if items.iter().all(|i| i.index.is_some()) {
            items.sort_by_key(|i| i.index);
        }
        items
            .into_iter()
            .map(|item| {
                if item.embedding.len() != self.config.dimension {
                    return Err((
                        false,
                        format!(
                            "embedding of dimension {} where {} was configured",
                            item.embedding.len(),
                            self.config.dimension
                        ),
                    ));
                }
                let mut v = item.embedding;
                normalize(&mut v);
                Ok(v)
            })
            .collect()
    }
}

impl Embedder for HttpEncoder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.config.batch_size.max(1)) {
            let mut attempt = 0;
            loop {
                match self.request(batch) {
                    Ok(vectors) => {
                        out.extend(vectors);
                        break;
                    }
                    Err((true, why)) if attempt < self.config.retries => {
                        let wait = self.config.backoff * 2u32.pow(attempt);
                        tracing::warn!(url = %self.config.url, attempt, error = %why, "embedding request failed; retrying");
                        std::thread::sleep(wait);
                        attempt += 1;
                    }
                    Err((_, why)) => {
                        return Err(Error::Embedding(format!(
                            "embedding service at {} failed after {} attempt(s): {why}",
                            self.config.url,
                            attempt + 1
                        )))
                    }
                }
            }
        }
        Ok(out)
    }

    fn dimension(&self) -> usize {
        self.config.dimension
    }

    fn name(&self) -> &str {
        "http"
    }

    fn version(&self) -> String {
        format!("{}@{}", self.config.model, self.config.url)
    }
}
