//! Command-line interface. Exit codes: 0 ok, 2 bad input (a damaged snapshot, a
//! non-empty target included), 1 internal error.

mod commands;

use clap::{Parser, Subcommand};
use duijie::store::backup::BackupError;
use duijie::Error;
use std::net::SocketAddr;
use std::path::PathBuf;

/// duijie (对接): supply–demand matching for technology markets and supply-chain cooperation.
#[derive(Parser, Debug)]
#[command(name = "duijie", version, about)]
pub struct Cli {
    /// Data directory (store and indexes).
    #[arg(long, global = true, default_value = "index")]
    pub data: PathBuf,
    /// Print results as JSON lines, one object per result.
    #[arg(long, global = true)]
    pub json: bool,
    /// Directory of the corpus files (achievements.jsonl, needs.jsonl, …) that `serve`
    /// and the reading commands (search, get, match, neighbors, eval, tune, gaps) load
    /// into an empty data directory first.
    #[arg(long, global = true, default_value = "corpora")]
    pub corpora: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// The sub-commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Bulk-load documents from a JSON-lines file ('-' for standard input).
    Ingest {
        /// JSONL file, one document per line.
        file: PathBuf,
    },
    /// Full-text search of one kind.
    Search {
        /// Query text (Chinese or mixed).
        query: String,
        /// Kind to search: need, achievement, request, supplier.
        #[arg(long, default_value = "achievement")]
        kind: String,
        /// Region code prefix: 52 (province), 5201 (city) or 520102 (county).
        #[arg(long)]
        region: Option<String>,
        /// GB/T 4754 industry code: C, C38, 38, 3811.
        #[arg(long)]
        industry: Option<String>,
        /// Only documents in this status (open, closed, expired); default open.
        #[arg(long, default_value = "open")]
        status: String,
        /// Number of results.
        #[arg(short = 'k', long, default_value_t = 10)]
        limit: usize,
    },
    /// Print one document.
    Get {
        /// Document id.
        id: String,
    },
    /// Counts of documents in the store and the indexes.
    Stats,
    /// Best documents of the counterpart kind for a document or a free text.
    Match {
        /// Document id (omit with --text).
        id: Option<String>,
        /// Free text, read as a document of the counterpart of --kind.
        #[arg(long, conflicts_with = "id")]
        text: Option<String>,
        /// Kind to return with --text: need, achievement, request, supplier.
        #[arg(long)]
        kind: Option<String>,
        /// Rank profile (default: the market's default).
        #[arg(long)]
        profile: Option<String>,
        /// Number of results.
        #[arg(short = 'k', long, default_value_t = 10)]
        limit: usize,
        /// Show each score's parts.
        #[arg(long)]
        explain: bool,
        /// Region code prefix the results must be in.
        #[arg(long)]
        region: Option<String>,
        /// GB/T 4754 code the results must be in.
        #[arg(long)]
        industry: Option<String>,
    },
    /// Nearest documents of the counterpart kind by the encoder's vectors alone.
    Neighbors {
        /// Document id.
        id: String,
        /// Number of neighbours.
        #[arg(short = 'k', long, default_value_t = 10)]
        limit: usize,
    },
    /// Train the built-in encoder on the store's documents and rebuild the vectors.
    TrainEncoder,
    /// Evaluate a rank profile on judgments (nDCG@10, recall@50, MRR, per query).
    Eval {
        /// Judgments file (JSONL: query_id, doc_id, grade 0–3).
        judgments: PathBuf,
        /// Profile to evaluate.
        #[arg(long, default_value = "default-tech")]
        profile: String,
        /// Compare two profiles side by side instead: --compare A B.
        #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with = "profile")]
        compare: Option<Vec<String>>,
    },
    /// Fit a market's default profile weights to judgments, with k-fold cross-validation.
    Tune {
        /// Judgments file.
        judgments: PathBuf,
        /// Market: tech or supply.
        #[arg(long)]
        market: String,
        /// Where to write the fitted profile (JSON); review it, then save it as an operator.
        #[arg(long)]
        out: PathBuf,
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
    /// Open needs or requests whose best match is weak (补链 gaps), by industry and region.
    Gaps {
        /// Market: tech (needs) or supply (requests).
        #[arg(long, default_value = "supply")]
        market: String,
        /// Region code prefix, e.g. 52.
        #[arg(long)]
        region: Option<String>,
        /// Best-match score below which a demand is a gap.
        #[arg(long, default_value_t = duijie::engine::DEFAULT_GAP_THRESHOLD)]
        threshold: f32,
    },
    /// Generate sample documents as JSON lines (seeded, reproducible).
    Gen {
        /// Kind to generate: need, request, supplier (achievement with --csl converts CSL records).
        #[arg(long)]
        kind: String,
        /// Number of documents (ignored with --csl).
        #[arg(long, default_value_t = 1000)]
        n: usize,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Directory of the CSL source files (achievements only).
        #[arg(long)]
        csl: Option<PathBuf>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve the HTTP API; an empty data directory is first loaded from the corpora.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7700")]
        addr: SocketAddr,
    },
    /// Write a consistent snapshot of the store (and the encoder model) into a new or
    /// empty directory; works while `serve` runs on the same data directory.
    Snapshot {
        /// Snapshot directory (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Bring a snapshot back as the data directory (the server must be stopped);
    /// the indexes are rebuilt on the next start.
    Restore {
        /// Snapshot directory written by `duijie snapshot`.
        dir: PathBuf,
        /// Replace a data directory that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// API keys of the HTTP API (the server must be stopped: the store is single-process).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// Sub-commands of `keys`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key bound to a party and a role; the key is printed once and stored hashed.
    Add {
        /// sme, university, enterprise or operator.
        #[arg(long)]
        role: String,
        /// The party the key acts for (the owner of what it posts), e.g. 贵州省技术市场.
        #[arg(long)]
        party: String,
    },
}

/// Parses the arguments, runs the command, and returns the exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    // The server logs each request (with its id) by default; other commands only warnings.
    let default_filter = match cli.command {
        Command::Serve { .. } => "warn,duijie=info,tower_http=info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match commands::execute(&cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            exit_code(&e)
        }
    }
}

fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Invalid(_) | Error::NotFound(_) | Error::Forbidden(_) | Error::Conflict(_) => 2,
        Error::Backup(
            BackupError::Damaged { .. }
            | BackupError::SnapshotExists(_)
            | BackupError::TargetNotEmpty(_)
            | BackupError::InUse(_)
            | BackupError::NoStore(_),
        ) => 2,
        _ => 1,
    }
}
