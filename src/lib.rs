//! duijie (对接): a supply–demand matching engine for Chinese technology markets
//! (技术需求 ↔ 科技成果) and supply-chain cooperation platforms (配套需求 ↔ 企业能力).

pub mod api;
pub mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub mod gen;
pub mod model;
pub mod rank;
pub mod search;
pub mod store;
pub mod text;
pub mod web;

pub use engine::Engine;
pub use error::{Error, Result};
