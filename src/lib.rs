//! duijie (对接): a supply–demand matching engine for Chinese technology markets
//! (技术需求 ↔ 科技成果) and supply-chain cooperation platforms (配套需求 ↔ 企业能力).

pub mod model;
pub mod gen;
