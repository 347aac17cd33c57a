//! Administration of a running server from its own machine. sled lets one
//! process open the store, so while `duijie serve` runs, `duijie snapshot`
//! cannot open it; instead the server writes `admin.json` into its data
//! directory (mode 0600: its address, a random token, its process id) and
//! the command asks the server, with that token, to take the snapshot.
//! Whoever can read the token can read the data directory anyway; API keys,
//! operators' included, cannot use these routes, since they would let a
//! remote caller write files on the server's machine.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{bearer, Body};
use super::state::AppState;
use crate::error::{Error, Result};
use crate::store::backup::{BackupError, Manifest, MODEL_FILE};
use crate::store::KEY_PREFIX;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// File the running server writes into its data directory.
pub const ADMIN_FILE: &str = "admin.json";
/// How long a command waits for the server to take a snapshot.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(600);

/// What `admin.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFile {
    /// Address to reach the server at from this machine.
    pub addr: SocketAddr,
    /// Bearer token of the admin routes.
    pub token: String,
    /// Process id of the server.
    pub pid: u32,
}

/// The address to reach a server bound to `bound` from the same machine:
/// an unspecified address (0.0.0.0, ::) becomes the loopback one.
fn reachable(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

impl AdminFile {
    /// Creates a fresh token for the server bound to `bound` and writes
    /// `admin.json` into `data_dir` atomically, readable by its owner only.
    pub fn create(data_dir: &Path, bound: SocketAddr) -> Result<AdminFile> {
        let admin = AdminFile {
            addr: reachable(bound),
            token: hex::encode(rand::random::<[u8; 32]>()),
            pid: std::process::id(),
        };
        let json = serde_json::to_vec_pretty(&admin).map_err(|e| Error::Internal(e.to_string()))?;
        let temp = data_dir.join(format!(".{ADMIN_FILE}.{}", admin.pid));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temp, data_dir.join(ADMIN_FILE))?;
        Ok(admin)
    }

    /// Reads `admin.json` of `data_dir`, if there is one.
    pub fn read(data_dir: &Path) -> Result<Option<AdminFile>> {
        let path = data_dir.join(ADMIN_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Internal(format!("{} cannot be parsed: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes `admin.json` of `data_dir` if it is still this one.
    pub fn remove_if_current(&self, data_dir: &Path) {
        if let Ok(Some(current)) = AdminFile::read(data_dir) {
            if current == *self {
                if let Err(e) = std::fs::remove_file(data_dir.join(ADMIN_FILE)) {
                    tracing::warn!(error = %e, "admin.json could not be removed");
                }
            }
        }
    }

    /// Asks the server to write a snapshot into `dir` (made absolute here,
    /// since the server's working directory may differ).
    pub fn request_snapshot(&self, dir: &Path) -> Result<Manifest> {
        let dir = std::path::absolute(dir)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(SNAPSHOT_WAIT))
            .build()
            .into();
        let remote = |e: ureq::Error| Error::from(BackupError::Remote(e.to_string()));
        let mut response = agent
            .post(format!("http://{}/v1/admin/snapshot", self.addr))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(serde_json::json!({ "dir": dir }))
            .map_err(remote)?;
        let status = response.status();
        let text = response.body_mut().read_to_string().map_err(remote)?;
        if status == 409 {
            return Err(BackupError::SnapshotExists(dir).into());
        }
        if !status.is_success() {
            let detail = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_string))
                .unwrap_or(text);
            return Err(BackupError::Remote(format!("{status}: {detail}")).into());
        }
        let result: SnapshotResult = serde_json::from_str(&text)
            .map_err(|e| BackupError::Remote(format!("unreadable answer: {e}")))?;
        Ok(result.manifest)
    }
}

/// Compares two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Accepts the request only with the server's admin token.
fn check_admin(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(expected) = state.admin_token() else {
        return Err(ApiError::forbidden(
            "this server has no admin token: `duijie serve` writes one into its data directory",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or_else(|| {
            ApiError::unauthorized(format!(
                "this route needs `Authorization: Bearer <token>` with the token of {ADMIN_FILE} in the data directory"
            ))
        })?;
    if given.starts_with(KEY_PREFIX) {
        return Err(ApiError::forbidden(format!(
            "API keys, operators' included, may not take snapshots: use the token of {ADMIN_FILE} in the data directory (`duijie snapshot` does)"
        )));
    }
    if !same_token(given, expected) {
        return Err(ApiError::unauthorized("unknown admin token"));
    }
    Ok(())
}

/// Where to write a snapshot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRequest {
    /// Absolute path, on the server's machine, of a new or empty directory.
    #[schema(value_type = String, example = "/var/backups/duijie/2025-06-01")]
    pub dir: PathBuf,
}

/// A snapshot written.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SnapshotResult {
    /// The snapshot directory.
    #[schema(value_type = String)]
    pub dir: PathBuf,
    /// Its manifest: sequence number, documents per kind, entries per tree, files with SHA-256.
    #[schema(value_type = Object)]
    pub manifest: Manifest,
}

/// Writes a consistent snapshot of the store (and the encoder model) into a
/// directory on the server's machine, while serving. Writes wait only while
/// the store's entries are copied. Only with the admin token of `admin.json`.
#[utoipa::path(
    post, path = "/v1/admin/snapshot", tag = "operations",
    request_body = SnapshotRequest,
    responses(
        (status = 200, description = "Snapshot written", body = SnapshotResult),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown admin token", body = ErrorBody),
        (status = 403, description = "An API key instead of the admin token", body = ErrorBody),
        (status = 409, description = "The directory exists and is not empty", body = ErrorBody),
        (status = 422, description = "The directory is not an absolute path", body = ErrorBody),
        (status = 503, description = "Loading", body = ErrorBody),
    ),
    security(("admin_token" = []))
)]
pub async fn snapshot(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SnapshotResult>> {
    check_admin(&state, &headers)?;
    let request: SnapshotRequest = body.json()?;
    if !request.dir.is_absolute() {
        return Err(ApiError::invalid(crate::model::ValidationError::new(
            "dir",
            "must be an absolute path on the server's machine",
        )));
    }
    let dir = request.dir;
    state
        .blocking(move |engine| {
            let model = engine.data_dir().join(MODEL_FILE);
            let manifest = engine.store().snapshot(&dir, Some(&model))?;
            Ok(Json(SnapshotResult { dir, manifest }))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole_and_addresses_become_reachable() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
        let any: SocketAddr = "0.0.0.0:7700".parse().unwrap();
        assert_eq!(reachable(any).to_string(), "127.0.0.1:7700");
        let v6: SocketAddr = "[::]:80".parse().unwrap();
        assert_eq!(reachable(v6).to_string(), "[::1]:80");
    }

    #[test]
    fn the_admin_file_is_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let admin = AdminFile::create(dir.path(), "127.0.0.1:1234".parse().unwrap()).unwrap();
        assert_eq!(AdminFile::read(dir.path()).unwrap(), Some(admin.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(ADMIN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        admin.remove_if_current(dir.path());
        assert_eq!(AdminFile::read(dir.path()).unwrap(), None);
    }
}
