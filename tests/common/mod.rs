//! Shared helpers for the integration tests: valid sample documents of each
//! kind, and the HTTP service served in-process on a random loopback port.
#![allow(dead_code)]

use duijie::api::{serve, AppState};
use duijie::model::{CoopMode, Document, Kind, Maturity, ZjtxLevel};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Serves `state` on a random loopback port from a thread of its own, on a
/// tokio runtime of its own (two workers), until `shutdown` completes.
/// Returns the bound address (listening already when this returns) and the
/// thread, which ends with the result of [`serve`].
pub fn serve_in_process(
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (SocketAddr, JoinHandle<duijie::Result<()>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener, state, shutdown).await
        })
    });
    (addr, thread)
}

/// A valid technology need.
pub fn need(id: &str, title: &str, body: &str) -> Document {
    let mut d = Document::new(Kind::Need, title, body);
    d.id = id.into();
    d.owner = "贵阳某新材料有限公司".into();
    d.region = Some("520102".into());
    d.industry = Some("C38".into());
    d.budget = Some(80.0);
    d.maturity = Some(Maturity::Pilot);
    d.cooperation_modes = vec![CoopMode::Transfer, CoopMode::JointDevelopment];
    d
}

/// A valid research result.
pub fn achievement(id: &str, title: &str, body: &str) -> Document {
    let mut d = Document::new(Kind::Achievement, title, body);
    d.id = id.into();
    d.owner = "贵州大学".into();
    d.region = Some("5201".into());
    d.maturity = Some(Maturity::Industrial);
    d.asking_price = Some(50.0);
    d.field = Some("材料科学与工程".into());
    d
}

/// A valid supplier request.
pub fn request(id: &str, title: &str, body: &str) -> Document {
    let mut d = Document::new(Kind::Request, title, body);
    d.id = id.into();
    d.owner = "某汽车集团".into();
    d.region = Some("520100".into());
    d.industry = Some("36".into());
    d.products = vec!["铝合金压铸壳体".into()];
    d.certifications = vec!["IATF16949".into()];
    d.certs_mandatory = true;
    d.annual_volume = Some(50_000.0);
    d.volume_unit = Some("件".into());
    d
}

/// A valid supplier profile.
pub fn supplier(id: &str, title: &str, body: &str) -> Document {
    let mut d = Document::new(Kind::Supplier, title, body);
    d.id = id.into();
    d.owner = "遵义某精密制造有限公司".into();
    d.region = Some("520300".into());
    d.industry = Some("3670".into());
    d.products = vec!["压铸件".into()];
    d.processes = vec!["压铸".into(), "数控加工".into()];
    d.capacity = Some(200_000.0);
    d.volume_unit = Some("件".into());
    d.zjtx_level = Some(ZjtxLevel::Provincial);
    d
}
