//! OpenAPI schemas of the engine's JSON types. The engine's types stay free of
//! HTTP concerns; these mirror their JSON form for the API description only
//! and are never built.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// A document collection in a path.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// 技术需求 (posted by role sme).
    Needs,
    /// 科技成果 (posted by role university).
    Achievements,
    /// 配套需求 (posted by role enterprise).
    Requests,
    /// 企业能力 (posted by role sme).
    Suppliers,
}

/// Contact details: shown to the document's owner and operators only.
#[derive(Serialize, ToSchema)]
#[schema(as = Contact)]
pub struct ContactSchema {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

/// A document of any kind (one flat record; fields apply to some kinds only,
/// and a field set on a kind it does not apply to is refused). Money is in 万元.
#[derive(Serialize, ToSchema)]
#[schema(as = Document)]
pub struct DocumentSchema {
    /// Stable id; generated on create when omitted.
    id: Option<String>,
    /// The party that may edit it (set by the server from the API key).
    owner: Option<String>,
    /// need, achievement, request or supplier (taken from the path when omitted).
    #[schema(example = "need")]
    kind: Option<String>,
    /// Title, at most 200 characters.
    #[schema(example = "锂电池正极材料回收技术")]
    title: String,
    /// Description, at most 20,000 characters.
    body: Option<String>,
    /// Free keywords.
    tags: Option<Vec<String>>,
    /// open, closed or expired.
    status: Option<String>,
    /// Set by the server.
    #[schema(read_only)]
    created_at: Option<String>,
    /// Set by the server.
    #[schema(read_only)]
    updated_at: Option<String>,
    /// Origin of the record.
    source: Option<String>,
    /// Id in the source.
    source_ref: Option<String>,
    /// Administrative division code (2, 4 or 6 digits).
    #[schema(example = "520102")]
    region: Option<String>,
    /// GB/T 4754-2017 industry code.
    #[schema(example = "C38")]
    industry: Option<String>,
    /// Key industry chain, e.g. 新能源汽车.
    chain: Option<String>,
    /// Last open day (YYYY-MM-DD) of a need or request.
    deadline: Option<String>,
    /// Contact details (owner and operators only).
    contact: Option<ContactSchema>,
    /// need: budget (万元).
    budget: Option<f64>,
    /// need / achievement: transfer, license, joint_development, commissioned, service.
    cooperation_modes: Option<Vec<String>>,
    /// need / achievement: research, bench_trial, pilot, industrial.
    maturity: Option<String>,
    /// achievement: TRL 1–9.
    trl: Option<u8>,
    /// achievement: university or institute.
    institution: Option<String>,
    /// achievement: discipline.
    field: Option<String>,
    /// achievement: intellectual property `{patent_type, numbers}`.
    ip: Option<serde_json::Value>,
    /// achievement: asking price (万元).
    asking_price: Option<f64>,
    /// request / supplier: products.
    products: Option<Vec<String>>,
    /// request / supplier: processes.
    processes: Option<Vec<String>>,
    /// request: specifications.
    specs: Option<String>,
    /// request: required, supplier: held certifications.
    certifications: Option<Vec<String>>,
    /// request: the certifications are mandatory.
    certs_mandatory: Option<bool>,
    /// request: annual volume.
    annual_volume: Option<f64>,
    /// supplier: annual capacity.
    capacity: Option<f64>,
    /// Unit of volume and capacity.
    volume_unit: Option<String>,
    /// supplier: equipment.
    equipment: Option<Vec<String>>,
    /// supplier: revenue (万元).
    revenue: Option<f64>,
    /// supplier: debt ratio 0–1.
    debt_ratio: Option<f64>,
    /// supplier: main-business share 0–1.
    main_business_share: Option<f64>,
    /// supplier: none, pool, provincial, little_giant, champion.
    zjtx_level: Option<String>,
}

/// One match, with the parts of its score when `explain` was asked for.
#[derive(Serialize, ToSchema)]
#[schema(as = MatchHit)]
pub struct MatchHitSchema {
    id: String,
    kind: String,
    title: String,
    /// Pair score.
    score: f32,
    region: Option<String>,
    industry: Option<String>,
    source: Option<String>,
    source_ref: Option<String>,
    /// Demand side, supply side, per-feature contributions, matched terms.
    explanation: Option<serde_json::Value>,
}

/// One full-text hit.
#[derive(Serialize, ToSchema)]
#[schema(as = SearchHit)]
pub struct SearchHitSchema {
    id: String,
    kind: String,
    title: String,
    /// BM25 score.
    score: f32,
    /// Body excerpt as HTML, matched terms in `<b>…</b>`.
    snippet: String,
    source: Option<String>,
    source_ref: Option<String>,
}

/// A rank profile: feature weights per side, fusion, constraints, boosts,
/// candidate depth. See the shipped `default-tech` profile for an example.
#[derive(Serialize, ToSchema)]
#[schema(as = RankProfile)]
pub struct RankProfileSchema {
    #[schema(example = "default-tech")]
    name: String,
    /// Set by the server on save.
    #[schema(read_only)]
    version: Option<u32>,
    /// tech or supply.
    market: Option<String>,
    description: Option<String>,
    /// `{"method": "weighted"}` or `{"method": "rrf", "k": 60}`.
    fusion: Option<serde_json::Value>,
    /// Feature → weight for the demand's view.
    demand_side: std::collections::BTreeMap<String, f32>,
    /// Feature → weight for the supply's view.
    supply_side: Option<std::collections::BTreeMap<String, f32>>,
    /// harmonic, min or mean.
    combine: Option<String>,
    constraints: Option<Vec<serde_json::Value>>,
    boosts: Option<Vec<serde_json::Value>>,
    /// `{"bm25": N, "ann": N}`.
    candidates: Option<serde_json::Value>,
    freshness_half_life_days: Option<f32>,
    budget_tolerance: Option<f32>,
    /// `{"docs": N, "weight": W}`: a free-text query's vector moves toward
    /// the mean of its first N results' (weight W against its own), and the
    /// match runs again; `docs` 0 (the default) is off.
    feedback: Option<serde_json::Value>,
}

/// Metrics of a profile over judgments.
#[derive(Serialize, ToSchema)]
#[schema(as = EvalReport)]
pub struct EvalReportSchema {
    profile: String,
    ndcg10: f64,
    recall50: f64,
    mrr: f64,
    /// Per query: query_id, ndcg10, recall50, rr, judged.
    queries: Vec<serde_json::Value>,
}

/// Open demands whose best match is weak, grouped by industry and region.
#[derive(Serialize, ToSchema)]
#[schema(as = GapReport)]
pub struct GapReportSchema {
    market: String,
    region: Option<String>,
    threshold: f32,
    scanned: usize,
    gaps: usize,
    /// industry, industry_name, region, region_name, documents[{id, title, best_score, best_match}].
    groups: Vec<serde_json::Value>,
}
