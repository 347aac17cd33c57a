//! Offline evaluation of rank profiles against graded relevance judgments,
//! and fitting a profile's weights to them.

mod judgments;
mod metrics;
mod run;
mod tune;

pub use judgments::{parse_judgments, Judgment, JudgmentSet, QueryDef};
pub use metrics::{dcg_gains, mrr, ndcg_at, recall_at, RELEVANT};
pub use run::{compare, evaluate, Comparison, EvalReport, QueryScores};
pub use tune::{tune, TuneReport};
