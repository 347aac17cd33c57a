//! duijie (对接): a supply–demand matching engine for Chinese technology markets
//! (技术需求 ↔ 科技成果) and supply-chain cooperation platforms (配套需求 ↔ 企业能力).

pub mod api;
pub mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub mod gen;
pub mod model;
pub mod parallel;
pub mod prefetch;
pub mod rank;
pub mod search;
pub mod store;
pub mod text;
pub mod web;

pub use engine::Engine;
pub use error::{Error, Result};

/// mimalloc instead of glibc's allocator: a match allocates and frees many
/// small objects on several threads, and glibc spent about a fifth of the
/// server's CPU under the load run (`malloc_consolidate`, `unlink_chunk`).
/// Declared in the library so the server, the benches and the tests all
/// measure the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
