//! What each sub-command does.

use super::{Cli, Command, KeysCommand};
use duijie::api::admin::AdminFile;
use duijie::engine::{MatchHit, MatchOptions};
use duijie::eval;
use duijie::model::{Kind, Market, Status, ValidationError};
use duijie::rank::RankProfile;
use duijie::search::fulltext::Filters;
use duijie::store::backup::{self, BackupError, Manifest};
use duijie::{Engine, Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

fn parse_kind(field: &str, value: &str) -> Result<Kind> {
    value
        .parse()
        .map_err(|e: String| Error::Invalid(ValidationError::new(field, e)))
}

fn parse_status(value: &str) -> Result<Option<Status>> {
    match value {
        "any" => Ok(None),
        other => serde_json::from_value(serde_json::Value::String(other.to_string()))
            .map(Some)
            .map_err(|_| {
                Error::Invalid(ValidationError::new(
                    "status",
                    format!("`{other}` is not open, closed, expired or any"),
                ))
            }),
    }
}

fn parse_market(value: &str) -> Result<Market> {
    match value {
        "tech" | "技术市场" => Ok(Market::Tech),
        "supply" | "协作配套" => Ok(Market::Supply),
        other => Err(Error::Invalid(ValidationError::new(
            "market",
            format!("`{other}` is not tech or supply"),
        ))),
    }
}

fn read_judgments(path: &Path) -> Result<eval::JudgmentSet> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Invalid(ValidationError::new(
            "judgments",
            format!("{}: {e}", path.display()),
        ))
    })?;
    eval::parse_judgments(&text)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let line = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    Ok(())
}

fn spinner(json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} lines ({per_sec})")
            .expect("a valid progress template"),
    );
    bar
}

/// A spinner for loading the corpora, and the progress callback that drives it
/// (told the file name and line number).
fn corpus_progress() -> (ProgressBar, impl FnMut(&str, usize) + Send + 'static) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} loading {msg}: {pos} lines ({per_sec})")
            .expect("a valid progress template"),
    );
    let shown = bar.clone();
    let progress = move |file: &str, line: usize| {
        if shown.message() != file {
            shown.set_message(file.to_string());
        }
        shown.set_position(line as u64);
    };
    (bar, progress)
}

/// Opens the engine for a reading command; an empty data directory is first
/// loaded from the corpora, as `serve` does, so that a fresh checkout answers
/// with the shipped documents instead of nothing.
fn open_loaded(cli: &Cli) -> Result<Engine> {
    let engine = Engine::open(&cli.data)?;
    let (bar, progress) = corpus_progress();
    let loaded = engine.load_corpora_if_empty(&cli.corpora, progress)?;
    bar.finish_and_clear();
    if loaded > 0 {
        eprintln!(
            "loaded {loaded} documents from {} into the empty data directory {}",
            cli.corpora.display(),
            cli.data.display()
        );
    }
    Ok(engine)
}

/// Runs the parsed command.
pub fn execute(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Ingest { file } => ingest(cli, file),
        Command::Serve { addr } => serve(cli, *addr),
        Command::Keys {
            command: KeysCommand::Add { role, party },
        } => add_key(cli, role, party),
        Command::Snapshot { dir } => snapshot(cli, dir),
        Command::Restore { dir, force } => restore(cli, dir, *force),
        Command::Search {
            query,
            kind,
            region,
            industry,
            status,
            limit,
        } => {
            let kind = parse_kind("kind", kind)?;
            let filters = Filters::parse(
                region.as_deref(),
                industry.as_deref(),
                parse_status(status)?,
            )?;
            let engine = open_loaded(cli)?;
            let hits = engine.search(kind, query, &filters, *limit)?;
            for (rank, hit) in hits.iter().enumerate() {
                if cli.json {
                    print_json(hit)?;
                } else {
                    println!(
                        "{:>2}. {:.3}  {}  {}",
                        rank + 1,
                        hit.score,
                        hit.id,
                        hit.title
                    );
                    println!("    {}", hit.snippet);
                }
            }
            if hits.is_empty() && !cli.json {
                println!("no results");
            }
            Ok(())
        }
        Command::Get { id } => {
            let engine = open_loaded(cli)?;
            let doc = engine.get(id)?;
            if cli.json {
                print_json(&doc)
            } else {
                let pretty = serde_json::to_string_pretty(&doc)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                println!("{pretty}");
                Ok(())
            }
        }
        Command::Stats => {
            let engine = Engine::open(&cli.data)?;
            let stats = engine.stats()?;
            if cli.json {
                return print_json(&stats);
            }
            println!("{:<12} {:>10} {:>10}", "kind", "store", "full-text");
            for kind in Kind::ALL {
                println!(
                    "{:<12} {:>10} {:>10}",
                    kind.as_str(),
                    stats.documents.get(&kind).copied().unwrap_or(0),
                    stats.fulltext.get(&kind).copied().unwrap_or(0)
                );
            }
            println!(
                "store sequence {}, full-text at {}",
                stats.store_seq, stats.fulltext_seq
            );
            Ok(())
        }
        Command::Match {
            id,
            text,
            kind,
            profile,
            limit,
            explain,
            region,
            industry,
        } => {
            let engine = open_loaded(cli)?;
            let options = MatchOptions {
                profile: profile.clone(),
                k: *limit,
                filters: Filters::parse(region.as_deref(), industry.as_deref(), None)?,
                explain: *explain,
            };
            let hits = match (id, text) {
                (Some(id), None) => engine.match_id(id, &options)?,
                (None, Some(text)) => {
                    let kind = kind.as_deref().ok_or_else(|| {
                        Error::Invalid(ValidationError::new(
                            "kind",
                            "--kind is required with --text",
                        ))
                    })?;
                    let matched = engine.match_text(text, parse_kind("kind", kind)?, &options)?;
                    if !matched.understood.is_empty() && !cli.json {
                        // To standard error, so the results stay the output.
                        eprintln!(
                            "understood: {}",
                            serde_json::to_string(&matched.understood).unwrap_or_default()
                        );
                    }
                    matched.hits
                }
                _ => {
                    return Err(Error::Invalid(ValidationError::new(
                        "id",
                        "give a document id or --text",
                    )))
                }
            };
            print_matches(cli, &hits)
        }
        Command::Neighbors { id, limit } => {
            let engine = open_loaded(cli)?;
            for (rank, (doc, cosine)) in engine.neighbors(id, *limit)?.into_iter().enumerate() {
                if cli.json {
                    print_json(&serde_json::json!({
                        "id": doc.id, "kind": doc.kind, "title": doc.title, "score": cosine,
                        "source": doc.source, "source_ref": doc.source_ref,
                    }))?;
                } else {
                    println!("{:>2}. {:.3}  {}  {}", rank + 1, cosine, doc.id, doc.title);
                }
            }
            Ok(())
        }
        Command::TrainEncoder => {
            let engine = Engine::open(&cli.data)?;
            let report = engine.retrain_encoder()?;
            if cli.json {
                print_json(&report)
            } else {
                println!(
                    "trained on {} documents: {} features, {} dimensions, {:.1} s",
                    report.documents, report.vocabulary, report.dimension, report.seconds
                );
                Ok(())
            }
        }
        Command::Eval {
            judgments,
            profile,
            compare,
        } => {
            let engine = open_loaded(cli)?;
            let set = read_judgments(judgments)?;
            match compare {
                Some(names) => {
                    let (a, b) = (engine.profile(&names[0])?, engine.profile(&names[1])?);
                    let c = eval::compare(&engine, &set, &a, &b)?;
                    if cli.json {
                        return print_json(&c);
                    }
                    println!(
                        "{:<28} {:>9} {:>9} {:>7}",
                        "query", &a.name, &b.name, "winner"
                    );
                    for (qa, qb) in c.a.queries.iter().zip(&c.b.queries) {
                        let winner = if (qa.ndcg10 - qb.ndcg10).abs() < 1e-9 {
                            "="
                        } else if qa.ndcg10 > qb.ndcg10 {
                            "A"
                        } else {
                            "B"
                        };
                        println!(
                            "{:<28} {:>9.3} {:>9.3} {:>7}",
                            qa.query_id, qa.ndcg10, qb.ndcg10, winner
                        );
                    }
                    for r in [&c.a, &c.b] {
                        println!(
                            "{:<16} nDCG@10 {:.3}  recall@50 {:.3}  MRR {:.3}",
                            r.profile, r.ndcg10, r.recall50, r.mrr
                        );
                    }
                    println!("wins: A {}  B {}  ties {}", c.wins.0, c.wins.1, c.wins.2);
                    Ok(())
                }
                None => {
                    let report = eval::evaluate(&engine, &set, &engine.profile(profile)?)?;
                    if cli.json {
                        return print_json(&report);
                    }
                    println!(
                        "{:<28} {:>8} {:>10} {:>6} {:>7}",
                        "query", "nDCG@10", "recall@50", "RR", "judged"
                    );
                    for q in &report.queries {
                        println!(
                            "{:<28} {:>8.3} {:>10.3} {:>6.3} {:>7}",
                            q.query_id, q.ndcg10, q.recall50, q.rr, q.judged
                        );
                    }
                    println!(
                        "{}: nDCG@10 {:.3}  recall@50 {:.3}  MRR {:.3}  ({} queries)",
                        report.profile,
                        report.ndcg10,
                        report.recall50,
                        report.mrr,
                        report.queries.len()
                    );
                    Ok(())
                }
            }
        }
        Command::Tune {
            judgments,
            market,
            out,
            folds,
        } => {
            let engine = open_loaded(cli)?;
            let set = read_judgments(judgments)?;
            let market = parse_market(market)?;
            let base = engine.profile(RankProfile::default_name(market))?;
            let report = eval::tune(&engine, &set, market, &base, *folds)?;
            let json = serde_json::to_string_pretty(&report.profile)
                .map_err(|e| Error::Internal(e.to_string()))?;
            std::fs::write(out, json + "\n")?;
            if cli.json {
                return print_json(&report);
            }
            println!(
                "{} queries, {}-fold cross-validation",
                report.queries, report.folds
            );
            println!(
                "held-out nDCG@10: base {:.3} → fitted {:.3}",
                report.cv_base_ndcg10, report.cv_fitted_ndcg10
            );
            println!(
                "all queries (fitted on them): base {:.3} → {:.3}",
                report.base_ndcg10, report.fitted_ndcg10_train
            );
            println!("fitted weights (demand side / supply side):");
            for (feature, w) in &report.profile.demand_side {
                println!("  demand {feature:<14} {w:.3}");
            }
            for (feature, w) in &report.profile.supply_side {
                println!("  supply {feature:<14} {w:.3}");
            }
            println!("written to {}", out.display());
            Ok(())
        }
        Command::Gaps {
            market,
            region,
            threshold,
        } => {
            let engine = open_loaded(cli)?;
            let report = engine.gaps(parse_market(market)?, region.as_deref(), *threshold)?;
            if cli.json {
                return print_json(&report);
            }
            println!(
                "{} of {} open demands have no match scoring {:.2} or more",
                report.gaps, report.scanned, report.threshold
            );
            for group in &report.groups {
                println!(
                    "{} {} / {} {}: {}",
                    group.industry,
                    group.industry_name,
                    group.region,
                    group.region_name,
                    group.documents.len()
                );
                for d in group.documents.iter().take(5) {
                    println!("    {:.3}  {}  {}", d.best_score, d.id, d.title);
                }
            }
            Ok(())
        }
        Command::Gen {
            kind,
            n,
            seed,
            csl,
            out,
        } => {
            let kind = parse_kind("kind", kind)?;
            let docs = match (kind, csl) {
                (Kind::Achievement, Some(dir)) => duijie::gen::achievements_from_csl(dir, *seed)?,
                (_, Some(_)) => {
                    return Err(Error::Invalid(ValidationError::new(
                        "csl",
                        "only achievements are converted from CSL",
                    )))
                }
                _ => duijie::gen::generate(kind, *n, *seed),
            };
            let mut sink: Box<dyn Write> = match out {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for doc in &docs {
                let line =
                    serde_json::to_string(doc).map_err(|e| Error::Internal(e.to_string()))?;
                writeln!(sink, "{line}")?;
            }
            sink.flush()?;
            Ok(())
        }
    }
}

fn print_matches(cli: &Cli, hits: &[MatchHit]) -> Result<()> {
    for (rank, hit) in hits.iter().enumerate() {
        if cli.json {
            print_json(hit)?;
            continue;
        }
        println!(
            "{:>2}. {:.3}  {}  {}",
            rank + 1,
            hit.score,
            hit.id,
            hit.title
        );
        if let Some(e) = &hit.explanation {
            println!(
                "    demand side {:.3}, supply side {:.3}; matched: {}",
                e.demand_side,
                e.supply_side,
                e.matched_terms.join(" ")
            );
            for part in &e.parts {
                println!(
                    "      {:<14} value {:.3} × weight {:.3} = {:.4}",
                    part.feature, part.value, part.weight, part.contribution
                );
            }
        }
    }
    if hits.is_empty() && !cli.json {
        println!("no matches");
    }
    Ok(())
}

fn ingest(cli: &Cli, file: &Path) -> Result<()> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let opened = std::fs::File::open(file).map_err(|e| {
            Error::Invalid(ValidationError::new(
                "file",
                format!("{}: {e}", file.display()),
            ))
        })?;
        Box::new(BufReader::new(opened))
    };
    let engine = Engine::open(&cli.data)?;
    let bar = spinner(cli.json);
    bar.set_message("ingesting");
    let started = std::time::Instant::now();
    let report = engine.ingest(reader, |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    engine.ensure_encoder()?;
    engine.persist()?;
    let seconds = started.elapsed().as_secs_f64();
    if cli.json {
        for (line, error) in &report.refused {
            print_json(
                &serde_json::json!({"line": line, "field": error.field, "reason": error.reason}),
            )?;
        }
        print_json(&serde_json::json!({
            "accepted": report.accepted,
            "refused": report.refused.len(),
            "seconds": seconds,
        }))?;
    } else {
        for (line, error) in &report.refused {
            eprintln!("line {line}: {error}");
        }
        println!(
            "ingested {} documents, refused {}, in {:.1} s ({:.0} docs/s)",
            report.accepted,
            report.refused.len(),
            seconds,
            report.accepted as f64 / seconds.max(1e-9)
        );
    }
    Ok(())
}

fn serve(cli: &Cli, addr: std::net::SocketAddr) -> Result<()> {
    let (bar, progress) = corpus_progress();
    let options = duijie::api::ServeOptions {
        addr,
        data: cli.data.clone(),
        corpora: cli.corpora.clone(),
        config: duijie::api::ServiceConfig::default(),
    };
    duijie::api::run(options, progress, move |bound| {
        bar.finish_and_clear();
        println!("duijie serving on http://{bound}");
    })
}

fn add_key(cli: &Cli, role: &str, party: &str) -> Result<()> {
    let role: duijie::store::Role = role.parse()?;
    let store = duijie::store::Store::open(&cli.data.join("store"))?;
    let key = store.add_key(party, role)?;
    if cli.json {
        return print_json(&serde_json::json!({"key": key, "party": party.trim(), "role": role}));
    }
    println!("{key}");
    eprintln!(
        "API key for {} ({role}); it is shown only this once.",
        party.trim()
    );
    Ok(())
}

fn print_manifest(cli: &Cli, verb: &str, dir: &Path, manifest: &Manifest) -> Result<()> {
    if cli.json {
        return print_json(&serde_json::json!({"dir": dir, "manifest": manifest}));
    }
    let documents: Vec<String> = manifest
        .documents
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.plural()))
        .collect();
    println!(
        "{verb} {}: sequence {}, {} ({} store entries{})",
        dir.display(),
        manifest.seq,
        documents.join(", "),
        manifest.entries.values().sum::<u64>(),
        if manifest.file(backup::MODEL_FILE).is_some() {
            ", encoder model"
        } else {
            ""
        }
    );
    Ok(())
}

/// Opens the store directly when no process holds it; else asks the server
/// that does (its address and token are in `admin.json`).
fn snapshot(cli: &Cli, dir: &Path) -> Result<()> {
    let manifest = match backup::snapshot_data_dir(&cli.data, dir) {
        Err(e) if backup::is_lock_error(&e) => {
            let admin = AdminFile::read(&cli.data)?.ok_or_else(|| {
                BackupError::Remote(format!(
                    "the store is in use but {} has no {}: is the server older than this command?",
                    cli.data.display(),
                    duijie::api::admin::ADMIN_FILE
                ))
            })?;
            tracing::info!(addr = %admin.addr, "the store is in use: asking the server");
            admin.request_snapshot(dir)?
        }
        other => other?,
    };
    print_manifest(cli, "snapshot", dir, &manifest)
}

fn restore(cli: &Cli, dir: &Path, force: bool) -> Result<()> {
    let manifest = backup::restore(dir, &cli.data, force)?;
    print_manifest(cli, "restored", &cli.data, &manifest)?;
    if !cli.json {
        println!("the indexes are rebuilt from the store on the next start");
    }
    Ok(())
}
