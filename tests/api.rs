//! The HTTP service over real HTTP: a server on a random loopback port,
//! started in-process over a temporary data directory. Every route, every
//! role rule, every error status, write visibility, contact privacy, and the
//! OpenAPI document against the served routes.

mod common;

use common::{achievement, need, request, serve_in_process, supplier};
use duijie::api::ratelimit::Rate;
use duijie::api::{AppState, ServiceConfig};
use duijie::model::{Contact, Document};
use duijie::store::Role;
use duijie::Engine;
use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// A server running on its own thread and runtime.
struct Server {
    base: String,
    engine: Option<Arc<Engine>>,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<duijie::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// Keys of the shared server, one per role and party.
struct Keys {
    operator: String,
    sme: String,
    other_sme: String,
    university: String,
    enterprise: String,
}

const SME: &str = "贵阳某新材料有限公司";
const OTHER_SME: &str = "六盘水某机械有限公司";

fn fixture() -> Vec<Document> {
    let mut battery = need(
        "N-battery",
        "提高动力锂电池续航",
        "我们生产电动车电池包，希望提升正极材料的能量密度和循环寿命。",
    );
    battery.contact = Some(Contact {
        name: Some("王工".into()),
        phone: Some("0851-12345678".into()),
        email: None,
    });
    let mut tea = need(
        "N-tea",
        "茶园病虫害绿色防控",
        "茶叶农药残留超标，需要生物防治和绿色防控技术。",
    );
    tea.owner = OTHER_SME.into();
    let mut diecast = supplier(
        "S-diecast",
        "铝合金压铸与精密加工",
        "专业铝合金压铸、数控加工，具备IATF16949认证，年产能20万件。",
    );
    diecast.certifications = vec!["IATF16949".into()];
    vec![
        battery,
        tea,
        achievement(
            "A-cathode",
            "高镍三元正极材料包覆改性",
            "通过包覆改性提升锂电池正极材料的比容量与循环寿命，已中试。",
        ),
        achievement(
            "A-bio",
            "茶小绿叶蝉生物防治技术",
            "利用天敌和生物农药防控茶园害虫，降低农药残留。",
        ),
        achievement(
            "A-steel",
            "高强钢焊接工艺",
            "激光焊接高强钢的工艺参数优化。",
        ),
        request(
            "R-housing",
            "诚招铝合金压铸壳体配套商",
            "新能源汽车电驱壳体，铝合金压铸后数控加工，需IATF16949认证。",
        ),
        diecast,
    ]
}

/// Serves `engine` (or, with none, a service still loading) with `config`
/// until [`stop`]; the server keeps `dir` alive.
fn start(engine: Option<Arc<Engine>>, config: ServiceConfig, dir: tempfile::TempDir) -> Server {
    let state = match &engine {
        Some(engine) => AppState::ready(engine.clone(), config).unwrap(),
        None => AppState::loading(config),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, thread) = serve_in_process(state.clone(), async move {
        let _ = stopped.await;
    });
    Server {
        base: format!("http://{addr}"),
        engine,
        state,
        stop: Some(stop),
        thread: Some(thread),
        _dir: dir,
    }
}

fn engine_in(dir: &std::path::Path) -> Arc<Engine> {
    let engine = Engine::open(dir).unwrap();
    for doc in fixture() {
        engine.upsert(doc).unwrap();
    }
    engine.sync().unwrap();
    engine.ensure_encoder().unwrap();
    Arc::new(engine)
}

/// The server most tests share, with its keys.
static SHARED: LazyLock<(Server, Keys)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path());
    let store = engine.store();
    let keys = Keys {
        operator: store.add_key("贵州省技术市场", Role::Operator).unwrap(),
        sme: store.add_key(SME, Role::Sme).unwrap(),
        other_sme: store.add_key(OTHER_SME, Role::Sme).unwrap(),
        university: store.add_key("贵州大学", Role::University).unwrap(),
        enterprise: store.add_key("某汽车集团", Role::Enterprise).unwrap(),
    };
    (start(Some(engine), ServiceConfig::default(), dir), keys)
});

fn shared() -> (&'static Server, &'static Keys) {
    let (server, keys) = &*SHARED;
    (server, keys)
}

static AGENT: LazyLock<ureq::Agent> = LazyLock::new(|| {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
});

/// A response: status, headers and body (JSON when it parses, else a string).
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Value,
    text: String,
}

fn call(server: &Server, method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> Reply {
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{}", server.base, path));
    if let Some(key) = key {
        builder = builder.header("Authorization", format!("Bearer {key}"));
    }
    let response = match body {
        Some(body) => AGENT.run(
            builder
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .unwrap(),
        ),
        None => AGENT.run(builder.body(()).unwrap()),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .body_mut()
        .with_config()
        .limit(50 * 1024 * 1024)
        .read_to_string()
        .unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    Reply {
        status,
        headers,
        body,
        text,
    }
}

fn get(server: &Server, path: &str, key: Option<&str>) -> Reply {
    call(server, "GET", path, key, None)
}

fn assert_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"], error, "{}", reply.text);
    assert!(reply.body["detail"].is_string(), "{}", reply.text);
}

fn match_ids(reply: &Reply) -> Vec<String> {
    reply.body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {}", reply.text))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn new_need(id: &str, title: &str, body: &str) -> String {
    json!({"id": id, "kind": "need", "title": title, "body": body, "region": "520102",
           "industry": "C38", "budget": 60.0, "maturity": "pilot",
           "contact": {"name": "李工", "phone": "13800000000"}})
    .to_string()
}

#[test]
fn health_readiness_metrics_and_docs() {
    let (server, _) = shared();
    let r = get(server, "/healthz", None);
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    // Other tests write concurrently: the indexes catch up within the sync bound.
    let deadline = Instant::now() + Duration::from_secs(5);
    let r = loop {
        let r = get(server, "/readyz", None);
        if r.status == 200 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(10)); // a polling pause, not a synchronisation
    };
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ready"], true);
    assert!(
        r.headers.contains_key("x-request-id"),
        "responses carry a request id"
    );
    get(server, "/v1/needs/N-battery/matches?k=3", None);
    let r = get(server, "/metrics", None);
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains(r#"duijie_http_requests_total{method="GET",route="/v1/{kind}/{id}/matches",status="200"}"#),
        "requests are counted by route template: {}",
        r.text
    );
    assert!(r
        .text
        .contains("duijie_http_request_duration_seconds_bucket"));
    assert!(r
        .text
        .contains(r#"duijie_index_documents{index="fulltext",kind="need"}"#));
    assert!(r
        .text
        .contains(r#"duijie_index_documents{index="vector",kind="achievement"}"#));
    assert!(r.text.contains("duijie_index_lag"));
    let r = get(server, "/docs", None);
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("/openapi.json") && !r.text.contains("https://"),
        "no CDN assets"
    );
}

#[test]
fn every_documented_operation_is_served() {
    let (server, keys) = shared();
    let spec = get(server, "/openapi.json", None);
    assert_eq!(spec.status, 200);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec.body["paths"].as_object().unwrap();
    assert!(paths.len() >= 13, "{:?}", paths.keys());
    // A document of the operator's own to delete.
    let r = call(
        server,
        "POST",
        "/v1/needs",
        Some(&keys.operator),
        Some(&new_need(
            "N-openapi-delete",
            "接口文档删除测试",
            "用于删除接口的测试需求。",
        )),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            let concrete = path
                .replace("{kind}", "needs")
                .replace("{name}", "default-tech")
                .replace(
                    "{id}",
                    if method == "delete" {
                        "N-openapi-delete"
                    } else {
                        "N-battery"
                    },
                );
            let body = matches!(method.as_str(), "post" | "put").then_some("{}");
            let r = call(
                server,
                &method.to_uppercase(),
                &concrete,
                Some(&keys.operator),
                body,
            );
            assert!(
                r.status != 404 && r.status != 405,
                "{method} {path} ({concrete}) answered {}: {}",
                r.status,
                r.text
            );
        }
    }
}

#[test]
fn documents_round_trip_and_contact_is_private() {
    let (server, keys) = shared();
    let r = call(
        server,
        "POST",
        "/v1/needs",
        Some(&keys.sme),
        Some(&new_need(
            "N-roundtrip",
            "光伏组件回收技术",
            "需要晶硅光伏组件拆解与银回收技术。",
        )),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], "N-roundtrip");
    assert_eq!(r.headers["location"], "/v1/needs/N-roundtrip");
    // Owner set from the key; timestamps are the server's.
    let own = get(server, "/v1/needs/N-roundtrip", Some(&keys.sme));
    assert_eq!(own.status, 200);
    assert_eq!(own.body["owner"], SME);
    assert_eq!(
        own.body["contact"]["name"], "李工",
        "the owner sees the contact"
    );
    assert!(own.body["created_at"].is_string());
    let anonymous = get(server, "/v1/needs/N-roundtrip", None);
    assert_eq!(anonymous.status, 200);
    assert!(
        anonymous.body.get("contact").is_none(),
        "{}",
        anonymous.text
    );
    let other = get(server, "/v1/needs/N-roundtrip", Some(&keys.other_sme));
    assert!(
        other.body.get("contact").is_none(),
        "another party does not see it"
    );
    let operator = get(server, "/v1/needs/N-roundtrip", Some(&keys.operator));
    assert_eq!(operator.body["contact"]["phone"], "13800000000");
    // Lists and matches never show the contact to anonymous readers either.
    let list = get(
        server,
        &format!("/v1/needs?owner={}&limit=100", urlencode(SME)),
        None,
    );
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("N-roundtrip") && !list.text.contains("13800000000"));
    // A client cannot set the timestamps.
    let mut body: Value = serde_json::from_str(&new_need(
        "N-roundtrip",
        "光伏组件回收与银提取技术",
        "需要晶硅光伏组件拆解与银回收技术。",
    ))
    .unwrap();
    body["created_at"] = json!("2000-01-01T00:00:00Z");
    let r = call(
        server,
        "PUT",
        "/v1/needs/N-roundtrip",
        Some(&keys.sme),
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["created"], false);
    let after = get(server, "/v1/needs/N-roundtrip", Some(&keys.sme));
    assert_eq!(after.body["title"], "光伏组件回收与银提取技术");
    assert_eq!(after.body["created_at"], own.body["created_at"]);
    // A closed document is visible to its owner only.
    body["status"] = json!("closed");
    let r = call(
        server,
        "PUT",
        "/v1/needs/N-roundtrip",
        Some(&keys.sme),
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(get(server, "/v1/needs/N-roundtrip", None).status, 404);
    assert_eq!(
        get(server, "/v1/needs/N-roundtrip", Some(&keys.sme)).status,
        200
    );
    let r = call(
        server,
        "DELETE",
        "/v1/needs/N-roundtrip",
        Some(&keys.sme),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["deleted"], true);
    assert_error(
        &get(server, "/v1/needs/N-roundtrip", Some(&keys.sme)),
        404,
        "not_found",
    );
    // PUT of a new id creates; an id is generated when POST has none.
    let r = call(
        server,
        "PUT",
        "/v1/suppliers/S-put-new",
        Some(&keys.sme),
        Some(
            r#"{"title":"精密冲压件加工","body":"冲压、焊接、表面处理。","region":"520300","industry":"33","processes":["冲压"]}"#,
        ),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = call(
        server,
        "POST",
        "/v1/achievements",
        Some(&keys.university),
        Some(
            r#"{"title":"茶叶深加工提取技术","body":"茶多酚提取与纯化工艺。","maturity":"pilot","region":"52"}"#,
        ),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(
        get(server, &format!("/v1/achievements/{id}"), None).body["owner"],
        "贵州大学"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn lists_page_with_a_cursor_and_filter() {
    let (server, keys) = shared();
    for i in 0..5 {
        let r = call(
            server,
            "POST",
            "/v1/needs",
            Some(&keys.other_sme),
            Some(&new_need(
                &format!("N-page-{i}"),
                "分页测试需求",
                "用于分页的测试需求。",
            )),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/needs?limit=2&owner={}", urlencode(OTHER_SME));
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = get(server, &path, None);
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let pages: Vec<&String> = seen.iter().filter(|id| id.starts_with("N-page-")).collect();
    assert_eq!(pages.len(), 5, "{seen:?}");
    assert!(seen.contains(&"N-tea".to_string()));
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "id order, no duplicates");
    let filtered = get(server, "/v1/requests?region=52&industry=36", None);
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    assert!(filtered.text.contains("R-housing"));
    let none = get(server, "/v1/requests?region=33", None);
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
}

#[test]
fn role_rules_are_enforced() {
    let (server, keys) = shared();
    let doc = new_need(
        "N-roles",
        "陶瓷基板散热技术",
        "氮化铝陶瓷基板的散热与金属化。",
    );
    assert_error(
        &call(server, "POST", "/v1/needs", None, Some(&doc)),
        401,
        "unauthorized",
    );
    assert_error(
        &call(
            server,
            "POST",
            "/v1/needs",
            Some("dj_not_a_key"),
            Some(&doc),
        ),
        401,
        "unauthorized",
    );
    assert_error(
        &get(server, "/v1/needs/N-battery", Some("dj_not_a_key")),
        401,
        "unauthorized",
    );
    assert_error(
        &call(server, "DELETE", "/v1/needs/N-battery", None, None),
        401,
        "unauthorized",
    );
    // Roles post their own kinds only.
    let req = r#"{"title":"诚招紧固件配套","body":"高强度螺栓。","products":["螺栓"],"region":"5201","industry":"34"}"#;
    assert_error(
        &call(
            server,
            "POST",
            "/v1/requests",
            Some(&keys.university),
            Some(req),
        ),
        403,
        "forbidden",
    );
    assert_error(
        &call(
            server,
            "POST",
            "/v1/needs",
            Some(&keys.enterprise),
            Some(&doc),
        ),
        403,
        "forbidden",
    );
    assert_eq!(
        call(
            server,
            "POST",
            "/v1/requests",
            Some(&keys.enterprise),
            Some(req)
        )
        .status,
        201
    );
    // Nobody changes another party's document.
    let theirs = new_need("N-tea", "茶园病虫害绿色防控（改）", "改写别人的需求。");
    assert_error(
        &call(
            server,
            "PUT",
            "/v1/needs/N-tea",
            Some(&keys.sme),
            Some(&theirs),
        ),
        403,
        "forbidden",
    );
    assert_error(
        &call(server, "DELETE", "/v1/needs/N-tea", Some(&keys.sme), None),
        403,
        "forbidden",
    );
    assert_eq!(
        get(server, "/v1/needs/N-tea", None).body["title"],
        "茶园病虫害绿色防控"
    );
    // Only operators change profiles, evaluate, and read gaps.
    let profile = get(server, "/v1/profiles/default-tech", None);
    assert_eq!(profile.status, 200);
    let mut edited = profile.body.clone();
    edited["name"] = json!("api-test-profile");
    edited["description"] = json!("edited over HTTP");
    let path = "/v1/profiles/api-test-profile";
    assert_error(
        &call(server, "PUT", path, None, Some(&edited.to_string())),
        401,
        "unauthorized",
    );
    assert_error(
        &call(
            server,
            "PUT",
            path,
            Some(&keys.sme),
            Some(&edited.to_string()),
        ),
        403,
        "forbidden",
    );
    let saved = call(
        server,
        "PUT",
        path,
        Some(&keys.operator),
        Some(&edited.to_string()),
    );
    assert_eq!(saved.status, 201, "{}", saved.text);
    assert_eq!(saved.body["version"], 1);
    let again = call(
        server,
        "PUT",
        path,
        Some(&keys.operator),
        Some(&edited.to_string()),
    );
    assert_eq!((again.status, &again.body["version"]), (200, &json!(2)));
    let listed = get(server, "/v1/profiles", None);
    assert!(listed.body["profiles"]
        .as_array()
        .unwrap()
        .contains(&json!("api-test-profile")));
    let used = get(
        server,
        "/v1/needs/N-battery/matches?profile=api-test-profile",
        None,
    );
    assert_eq!(
        (used.status, &used.body["profile"]),
        (200, &json!("api-test-profile"))
    );
    let judgments = "{\"query_id\":\"N-battery\",\"doc_id\":\"A-cathode\",\"grade\":3}\n{\"query_id\":\"N-battery\",\"doc_id\":\"A-steel\",\"grade\":0}\n";
    let eval = "/v1/profiles/default-tech/eval";
    assert_error(
        &call(server, "POST", eval, Some(&keys.sme), Some(judgments)),
        403,
        "forbidden",
    );
    let report = call(server, "POST", eval, Some(&keys.operator), Some(judgments));
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(
        report.body["ndcg10"].as_f64().unwrap() > 0.0,
        "{}",
        report.text
    );
    assert_error(&get(server, "/v1/gaps", None), 401, "unauthorized");
    assert_error(
        &get(server, "/v1/gaps?market=tech", Some(&keys.university)),
        403,
        "forbidden",
    );
    let gaps = get(
        server,
        "/v1/gaps?market=tech&threshold=0.99",
        Some(&keys.operator),
    );
    assert_eq!(gaps.status, 200, "{}", gaps.text);
    assert!(gaps.body["scanned"].as_u64().unwrap() >= 1);
    // Operators moderate any document.
    let r = call(
        server,
        "POST",
        "/v1/needs",
        Some(&keys.other_sme),
        Some(&new_need("N-moderated", "待下架需求", "运营方下架。")),
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        call(
            server,
            "DELETE",
            "/v1/needs/N-moderated",
            Some(&keys.operator),
            None
        )
        .status,
        200
    );
}

#[test]
fn errors_have_the_right_status_and_shape() {
    let (server, keys) = shared();
    // 400: malformed JSON, bad query parameters.
    assert_error(
        &call(
            server,
            "POST",
            "/v1/needs",
            Some(&keys.sme),
            Some("{\"title\": "),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &call(server, "POST", "/v1/match", None, Some("not json")),
        400,
        "bad_request",
    );
    let r = get(server, "/v1/needs?limit=abc", None);
    assert_error(&r, 400, "bad_request");
    assert_eq!(r.body["field"], "limit");
    let r = get(server, "/v1/search?q=电池&region=99x", None);
    assert_error(&r, 400, "bad_request");
    assert_eq!(r.body["field"], "region");
    assert_eq!(
        get(server, "/v1/needs/N-battery/matches?k=0", None).body["field"],
        "k"
    );
    assert_eq!(
        get(server, "/v1/needs/N-battery/matches?profile=nope", None).body["field"],
        "profile"
    );
    assert_eq!(
        get(server, "/v1/gaps?market=moon", Some(&keys.operator)).body["field"],
        "market"
    );
    // 404: unknown documents, collections, routes, profiles; a document of another kind.
    assert_error(&get(server, "/v1/needs/N-missing", None), 404, "not_found");
    assert_error(
        &get(server, "/v1/achievements/N-battery", None),
        404,
        "not_found",
    );
    assert_error(&get(server, "/v1/widgets", None), 404, "not_found");
    assert_error(&get(server, "/nowhere", None), 404, "not_found");
    assert_error(&get(server, "/v1/profiles/nope", None), 404, "not_found");
    assert_error(
        &get(server, "/v1/needs/N-missing/matches", None),
        404,
        "not_found",
    );
    // 405.
    assert_error(
        &call(server, "PATCH", "/v1/needs", Some(&keys.sme), Some("{}")),
        405,
        "method_not_allowed",
    );
    assert_error(&get(server, "/v1/match", None), 405, "method_not_allowed");
    // 409: POST of an existing id; PUT of an id of another kind.
    let doc = new_need("N-conflict", "冲突测试", "重复提交。");
    assert_eq!(
        call(server, "POST", "/v1/needs", Some(&keys.sme), Some(&doc)).status,
        201
    );
    assert_error(
        &call(server, "POST", "/v1/needs", Some(&keys.sme), Some(&doc)),
        409,
        "conflict",
    );
    let as_supplier = r#"{"title":"冲突测试","body":"换个类型。"}"#;
    assert_error(
        &call(
            server,
            "PUT",
            "/v1/suppliers/N-conflict",
            Some(&keys.sme),
            Some(as_supplier),
        ),
        409,
        "conflict",
    );
    // 413: a body over 1 MiB.
    let big = format!(
        "{{\"title\":\"大\",\"body\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    assert_error(
        &call(server, "POST", "/v1/needs", Some(&keys.sme), Some(&big)),
        413,
        "payload_too_large",
    );
    // 422: invalid documents name the field.
    let cases = [
        (
            r#"{"title":"区域错误","body":"正文","industry":"38","region":"999999"}"#,
            "region",
        ),
        (
            r#"{"title":"未知字段","body":"正文","colour":"red"}"#,
            "colour",
        ),
        (r#"{"body":"没有标题"}"#, "title"),
        (
            r#"{"title":"类型不符","body":"正文","kind":"supplier"}"#,
            "kind",
        ),
        (
            r#"{"title":"预算错误","body":"正文","budget":"很多"}"#,
            "budget",
        ),
        (
            r#"{"title":"不适用字段","body":"正文","region":"52","industry":"38","capacity":5}"#,
            "capacity",
        ),
        (r#"[1,2]"#, "body"),
    ];
    for (body, field) in cases {
        let r = call(server, "POST", "/v1/needs", Some(&keys.sme), Some(body));
        assert_error(&r, 422, "validation_failed");
        assert_eq!(r.body["field"], field, "{body}: {}", r.text);
    }
    let r = call(
        server,
        "PUT",
        "/v1/profiles/default-tech",
        Some(&keys.operator),
        Some(r#"{"demand_side":{"bm25":-1}}"#),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "demand_side.bm25");
    let r = call(
        server,
        "POST",
        "/v1/profiles/default-tech/eval",
        Some(&keys.operator),
        Some("{\"query_id\":1}"),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "line 1");
    let r = call(
        server,
        "POST",
        "/v1/match",
        None,
        Some(r#"{"text":"电池","kind":"widget"}"#),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "kind");
}

#[test]
fn rate_limits_answer_429_and_loading_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path());
    let key = engine.store().add_key(SME, Role::Sme).unwrap();
    let config = ServiceConfig {
        write_rate: Rate::new(0.01, 2.0),
        ..ServiceConfig::default()
    };
    let mut server = start(Some(engine), config, dir);
    for i in 0..2 {
        let doc = new_need(&format!("N-rate-{i}"), "限流测试", "限流。");
        assert_eq!(
            call(&server, "POST", "/v1/needs", Some(&key), Some(&doc)).status,
            201
        );
    }
    let r = call(
        &server,
        "POST",
        "/v1/needs",
        Some(&key),
        Some(&new_need("N-rate-2", "限流测试", "限流。")),
    );
    assert_error(&r, 429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(
        get(&server, "/v1/needs/N-rate-0", Some(&key)).status,
        200,
        "reads have their own budget"
    );
    stop(&mut server);

    let mut loading = start(None, ServiceConfig::default(), tempfile::tempdir().unwrap());
    assert_eq!(get(&loading, "/healthz", None).status, 200);
    assert_eq!(get(&loading, "/readyz", None).status, 503);
    assert_error(
        &get(&loading, "/v1/needs/N-battery", None),
        503,
        "unavailable",
    );
    assert_error(
        &get(&loading, "/v1/search?q=电池", None),
        503,
        "unavailable",
    );
    assert!(loading.state.engine_if_open().is_none());
    stop(&mut loading);
}

#[test]
fn a_fresh_write_is_matched_within_one_second() {
    let (server, keys) = shared();
    let started = Instant::now();
    let body = r#"{"id":"A-fresh","title":"固态锂电池硫化物电解质","body":"硫化物固态电解质提升动力锂电池能量密度与循环寿命，正极材料界面改性。","maturity":"pilot","region":"520100","asking_price":60}"#;
    let r = call(
        server,
        "POST",
        "/v1/achievements",
        Some(&keys.university),
        Some(body),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let deadline = started + Duration::from_secs(5);
    let seen = loop {
        let m = get(server, "/v1/needs/N-battery/matches?k=10", None);
        if match_ids(&m).contains(&"A-fresh".to_string()) {
            break started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "A-fresh never matched: {}",
            m.text
        );
        std::thread::sleep(Duration::from_millis(10)); // a polling pause, not a synchronisation
    };
    eprintln!("a fresh write was matched after {seen:?}");
    assert!(
        seen < Duration::from_secs(1),
        "visible in matches after {seen:?}"
    );
    let s = get(server, "/v1/search?q=硫化物&kind=achievement", None);
    assert!(s.text.contains("A-fresh"), "{}", s.text);
}

#[test]
fn search_has_snippets_and_facets_and_free_text_matches() {
    let (server, _) = shared();
    let r = get(
        server,
        "/v1/search?q=正极材料&kind=achievement&limit=5",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let hits = r.body["hits"].as_array().unwrap();
    assert_eq!(hits[0]["id"], "A-cathode", "{}", r.text);
    assert!(
        hits[0]["snippet"].as_str().unwrap().contains("<b>"),
        "{}",
        r.text
    );
    let facets = &r.body["facets"];
    assert!(facets["total"].as_u64().unwrap() >= 1);
    assert_eq!(facets["region"][0]["value"], "52", "{}", r.text);
    assert_eq!(facets["region"][0]["name"], "贵州省");
    assert!(facets["maturity"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["value"] == "industrial" || m["value"] == "pilot"));
    let all = get(server, "/v1/search?q=压铸", None);
    let kinds: Vec<&str> = all.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"request") && kinds.contains(&"supplier"),
        "{}",
        all.text
    );
    assert!(
        all.body["facets"]["industry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"] == "36"),
        "{}",
        all.text
    );
    let by_region = get(server, "/v1/search?q=压铸&region=5203", None);
    let ids: Vec<&str> = by_region.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S-diecast"], "{}", by_region.text);
    let m = call(
        server,
        "POST",
        "/v1/match",
        None,
        Some(
            r#"{"text":"需要铝合金压铸壳体的配套厂家，要求IATF16949","kind":"supplier","k":3,"explain":true}"#,
        ),
    );
    assert_eq!(m.status, 200, "{}", m.text);
    assert_eq!(m.body["kind"], "supplier");
    assert_eq!(match_ids(&m)[0], "S-diecast");
    assert!(m.body["results"][0]["explanation"]["parts"].is_array());
    // What the text says besides its subject is read and weighed: the place
    // (遵义, the supplier's city) and the certification it holds.
    let hinted = call(
        server,
        "POST",
        "/v1/match",
        None,
        Some(
            r#"{"text":"遵义附近的铝合金压铸壳体配套厂家，要求ＩＡＴＦ１６９４９","kind":"supplier","k":3,"explain":true}"#,
        ),
    );
    assert_eq!(hinted.status, 200, "{}", hinted.text);
    assert_eq!(
        hinted.body["understood"]["region"], "520300",
        "{}",
        hinted.text
    );
    assert_eq!(hinted.body["understood"]["certifications"][0], "IATF16949");
    let part = |r: &Reply, feature: &str| -> f64 {
        r.body["results"][0]["explanation"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["feature"] == feature)
            .and_then(|p| p["value"].as_f64())
            .unwrap_or_else(|| panic!("no {feature} in {}", r.text))
    };
    assert!(
        m.body.get("understood").is_some(),
        "IATF16949 was read: {}",
        m.text
    );
    let plain = call(
        server,
        "POST",
        "/v1/match",
        None,
        Some(r#"{"text":"铝合金压铸壳体配套厂家","kind":"supplier","k":3,"explain":true}"#),
    );
    assert!(plain.body.get("understood").is_none(), "{}", plain.text);
    assert_eq!(match_ids(&hinted)[0], "S-diecast");
    assert_eq!(match_ids(&plain)[0], "S-diecast");
    assert_eq!(part(&hinted, "cert_fit"), 1.0, "{}", hinted.text);
    // The same city weighs above the neutral value of a text without a place.
    assert_eq!(part(&plain, "region_fit"), 0.5, "{}", plain.text);
    assert!(part(&hinted, "region_fit") > 0.5, "{}", hinted.text);
    let explained = get(
        server,
        "/v1/requests/R-housing/matches?explain=true&k=2",
        None,
    );
    assert_eq!(match_ids(&explained)[0], "S-diecast", "{}", explained.text);
}

fn stop(server: &mut Server) {
    let _ = server.stop.take().unwrap().send(());
    let result = server.thread.take().unwrap().join().unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn shutdown_finishes_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path());
    let key = engine.store().add_key(SME, Role::Sme).unwrap();
    let mut server = start(Some(engine), ServiceConfig::default(), dir);
    let base = server.base.clone();
    let r = call(
        &server,
        "POST",
        "/v1/needs",
        Some(&key),
        Some(&new_need("N-last", "最后一条", "关机前写入。")),
    );
    assert_eq!(r.status, 201);
    let engine = server.engine.clone().unwrap();
    stop(&mut server);
    // The write is durable and the indexes reached it before the server stopped.
    let stats = engine.stats().unwrap();
    assert_eq!(stats.fulltext_seq, stats.store_seq);
    assert_eq!(engine.get("N-last").unwrap().title, "最后一条");
    assert!(
        AGENT.get(format!("{base}/healthz")).call().is_err(),
        "the listener is closed"
    );
}
