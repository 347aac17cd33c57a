//! Hostile clients against the HTTP service on a random loopback port:
//! bodies over the limit however they are sent, malformed and deeply nested
//! JSON, bodies declared as something other than JSON, clients that stall
//! while sending headers or a body (they are cut off; others are served
//! meanwhile), unknown fields and parameters, and huge query strings.
//! (tests/api.rs covers the ordinary error statuses; these are the abuses.)

mod common;

use common::{need, serve_in_process, supplier};
use duijie::api::{AppState, ServiceConfig};
use duijie::store::Role;
use duijie::Engine;
use serde_json::{json, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// Timeouts of the test server: short, so that stalls are noticed quickly.
const HEADER_TIMEOUT: Duration = Duration::from_millis(800);
const BODY_TIMEOUT: Duration = Duration::from_millis(800);
const BODY_LIMIT: usize = 64 * 1024;

struct Server {
    addr: SocketAddr,
    key: String,
    operator: String,
    _dir: tempfile::TempDir,
}

static SERVER: LazyLock<Server> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    engine
        .upsert(need(
            "N-hostile",
            "提高动力锂电池续航",
            "正极材料能量密度。",
        ))
        .unwrap();
    engine
        .upsert(supplier("S-hostile", "铝合金压铸", "压铸与数控加工。"))
        .unwrap();
    engine.sync().unwrap();
    let key = engine
        .store()
        .add_key("贵阳某新材料有限公司", Role::Sme)
        .unwrap();
    let operator = engine
        .store()
        .add_key("贵州省技术市场", Role::Operator)
        .unwrap();
    let config = ServiceConfig {
        body_limit: BODY_LIMIT,
        header_read_timeout: HEADER_TIMEOUT,
        body_read_timeout: BODY_TIMEOUT,
        ..ServiceConfig::default()
    };
    let state = AppState::ready(Arc::new(engine), config).unwrap();
    let (addr, _) = serve_in_process(state, std::future::pending());
    Server {
        addr,
        key,
        operator,
        _dir: dir,
    }
});

/// A response read off a raw connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Value,
    elapsed: Duration,
}

/// Sends `request` as is and reads one response (at most `wait`).
fn raw(request: &[u8], wait: Duration) -> Raw {
    let mut stream = TcpStream::connect(SERVER.addr).unwrap();
    stream.write_all(request).unwrap();
    read_response(&mut stream, wait)
}

fn read_response(stream: &mut TcpStream, wait: Duration) -> Raw {
    let started = Instant::now();
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                let body = &bytes[end + 4..end + 4 + length];
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap();
                return Raw {
                    status,
                    body: serde_json::from_slice(body)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into())),
                    head,
                    elapsed: started.elapsed(),
                };
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => panic!(
                "connection closed after {} bytes: {}",
                bytes.len(),
                String::from_utf8_lossy(&bytes)
            ),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("no response within {wait:?}: {e}"),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A request with a body, a content type and the sme key.
fn request(method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        SERVER.key,
        body.len()
    );
    if let Some(t) = content_type {
        head.push_str(&format!("Content-Type: {t}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn post(path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    request("POST", path, content_type, body)
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn get(path: &str) -> Raw {
    raw(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
        Duration::from_secs(10),
    )
}

/// Asserts a JSON error: status, reason code and a detail.
fn assert_error(r: &Raw, status: u16, error: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{r:?}"
    );
    assert_eq!(r.body["error"], error, "{r:?}");
    assert!(r.body["detail"].is_string(), "{r:?}");
}

fn doc_json(id: &str) -> String {
    json!({"id": id, "title": "敌意输入测试", "body": "正文。", "region": "52", "industry": "C38"})
        .to_string()
}

#[test]
fn oversized_bodies_are_refused_however_they_are_sent() {
    // A declared length over the limit is refused before any of the body is sent.
    let head = format!(
        "POST /v1/needs HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        SERVER.key,
        50 * 1024 * 1024
    );
    let r = raw(head.as_bytes(), Duration::from_secs(5));
    assert_error(&r, 413, "payload_too_large");
    assert!(r.elapsed < Duration::from_secs(2), "{r:?}");
    // A client that waits for `100 Continue` is answered 413 instead, and sends nothing.
    let waiting = head.replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n");
    let r = raw(waiting.as_bytes(), Duration::from_secs(5));
    assert_error(&r, 413, "payload_too_large");
    // A client that sends its whole over-limit body before reading reads the 413.
    let big = format!(
        "{{\"title\":\"大\",\"body\":\"{}\"}}",
        "x".repeat(3 * BODY_LIMIT)
    );
    let r = raw(
        &post("/v1/needs", Some("application/json"), big.as_bytes()),
        Duration::from_secs(5),
    );
    assert_error(&r, 413, "payload_too_large");
    // A chunked body without a declared length is cut off at the limit.
    let mut stream = TcpStream::connect(SERVER.addr).unwrap();
    stream
        .write_all(
            b"POST /v1/match HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
    // Just over the limit, without the final chunk: the server must not wait for more.
    let chunk = "x".repeat(8 * 1024);
    for _ in 0..=(BODY_LIMIT / chunk.len()) {
        let piece = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        stream.write_all(piece.as_bytes()).unwrap();
    }
    let r = read_response(&mut stream, Duration::from_secs(5));
    assert_error(&r, 413, "payload_too_large");
    assert!(r.elapsed < BODY_TIMEOUT, "{r:?}");
    // Exactly at the limit is not refused for its size.
    let filler = "x".repeat(BODY_LIMIT - 40);
    let body = format!("{{\"text\":\"{filler}\",\"kind\":\"need\"}}");
    assert!(body.len() <= BODY_LIMIT);
    let r = raw(
        &post("/v1/match", Some("application/json"), body.as_bytes()),
        Duration::from_secs(10),
    );
    assert_ne!(r.status, 413, "{r:?}");
}

#[test]
fn malformed_json_is_400_naming_the_problem() {
    let cases: [(&[u8], &str); 6] = [
        (b"{\"title\": \"x\",}", "trailing comma"),
        (b"{\"title\": \"x\"", "EOF"),
        (b"", "EOF"),
        (b"{\"title\": \"\xff\xfe\"}", "invalid unicode"),
        (b"{\"budget\": 1e999}", "number out of range"),
        (b"{\"title\": \"x\"} trailing", "trailing characters"),
    ];
    for (body, mentions) in cases {
        let r = raw(
            &post("/v1/needs", Some("application/json"), body),
            Duration::from_secs(10),
        );
        assert_error(&r, 400, "bad_request");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.to_lowercase().contains(&mentions.to_lowercase()),
            "{}: {detail}",
            String::from_utf8_lossy(body)
        );
        assert!(
            detail.contains("line") && detail.contains("column"),
            "{detail}"
        );
    }
}

#[test]
fn deeply_nested_json_is_refused_and_the_server_survives() {
    for depth in [200usize, 20_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let in_field = format!("{{\"title\":{arrays},\"body\":\"x\"}}");
        for body in [&arrays, &objects, &in_field] {
            if body.len() > BODY_LIMIT {
                continue;
            }
            for (method, path) in [
                ("POST", "/v1/needs"),
                ("PUT", "/v1/needs/N-deep"),
                ("POST", "/v1/match"),
            ] {
                let r = raw(
                    &request(method, path, Some("application/json"), body.as_bytes()),
                    Duration::from_secs(10),
                );
                assert_error(&r, 400, "bad_request");
                assert!(
                    r.body["detail"]
                        .as_str()
                        .unwrap()
                        .contains("recursion limit"),
                    "{r:?}"
                );
            }
        }
    }
    // Within the limit, nesting is a shape error naming the field, not a crash.
    let nested = format!(
        "{{\"title\":{}{}, \"body\":\"x\"}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let r = raw(
        &post("/v1/needs", Some("application/json"), nested.as_bytes()),
        Duration::from_secs(10),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "title");
    assert_eq!(get("/healthz").status, 200);
}

#[test]
fn bodies_declared_as_something_else_are_415() {
    let doc = doc_json("N-ctype-0");
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
    ] {
        let r = raw(
            &post("/v1/needs", Some(content_type), doc.as_bytes()),
            Duration::from_secs(10),
        );
        assert_error(&r, 415, "unsupported_media_type");
        assert!(
            r.body["detail"].as_str().unwrap().contains(content_type),
            "{r:?}"
        );
    }
    // JSON with parameters, a +json type, or no declared type at all is read as JSON.
    for (i, content_type) in [
        Some("application/json; charset=utf-8"),
        Some("Application/JSON"),
        Some("application/vnd.duijie+json"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let doc = doc_json(&format!("N-ctype-ok-{i}"));
        let r = raw(
            &post("/v1/needs", content_type, doc.as_bytes()),
            Duration::from_secs(10),
        );
        assert_eq!(r.status, 201, "{content_type:?}: {r:?}");
    }
}

/// Reads until the server closes the connection; returns what it sent and when.
fn until_closed(stream: &mut TcpStream, wait: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (bytes, started.elapsed()),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (bytes, started.elapsed()),
            Err(e) => panic!("the server kept a stalled connection open for {wait:?}: {e}"),
        }
    }
}

#[test]
fn stalled_clients_are_cut_off_while_others_are_served() {
    // Many clients that stall inside their headers, and some that send nothing at all.
    let mut stalled: Vec<TcpStream> = (0..60)
        .map(|i| {
            let mut s = TcpStream::connect(SERVER.addr).unwrap();
            if i % 3 != 0 {
                s.write_all(b"POST /v1/needs HTTP/1.1\r\nHost: test\r\nContent-Le")
                    .unwrap();
            }
            s
        })
        .collect();
    // A client that sends its headers and part of the body, then stalls.
    let doc = doc_json("N-stalled");
    let request = post("/v1/needs", Some("application/json"), doc.as_bytes());
    let mut body_staller = TcpStream::connect(SERVER.addr).unwrap();
    body_staller
        .write_all(&request[..request.len() - doc.len() / 2])
        .unwrap();
    let stalled_at = Instant::now();
    // Everyone else is served meanwhile, promptly.
    for _ in 0..5 {
        let r = get(&format!("/v1/search?q={}&kind=need", enc("锂电池")));
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.elapsed < Duration::from_secs(2), "{r:?}");
    }
    // The body staller gets a 408 once the body stops arriving…
    let r = read_response(&mut body_staller, Duration::from_secs(10));
    assert_error(&r, 408, "timeout");
    let waited = stalled_at.elapsed();
    assert!(
        waited >= BODY_TIMEOUT && waited < BODY_TIMEOUT * 5,
        "{waited:?}"
    );
    // …and the header stallers are disconnected without a request being handled.
    for s in &mut stalled {
        let (_, after) = until_closed(s, HEADER_TIMEOUT * 10);
        assert!(after < HEADER_TIMEOUT * 10);
    }
    assert!(
        stalled_at.elapsed() < HEADER_TIMEOUT * 10,
        "{:?}",
        stalled_at.elapsed()
    );
    // The half-sent document was not stored.
    assert_eq!(get("/v1/needs/N-stalled").status, 404);
    assert_eq!(get("/healthz").status, 200);
}

#[test]
fn unknown_fields_and_parameters_are_refused_by_name() {
    for (path, field) in [
        ("/v1/search?q=x&limt=5", "limt"),
        ("/v1/needs?cursr=N-1", "cursr"),
        ("/v1/needs/N-hostile/matches?explian=true", "explian"),
    ] {
        let r = get(path);
        assert_error(&r, 400, "bad_request");
        assert_eq!(r.body["field"], field, "{r:?}");
    }
    let cases = [
        (
            "/v1/match",
            json!({"text": "电池", "kind": "achievement", "colour": "red"}),
            "colour",
        ),
        (
            "/v1/needs",
            json!({"title": "未知字段", "body": "正文", "region": "52", "industry": "C38",
                   "contact": {"nmae": "王工"}}),
            "contact.nmae",
        ),
        (
            "/v1/needs",
            json!({"title": "未知字段", "body": "正文", "region": "52", "industry": "C38",
                   "provenance": {"synthetic_fields": [], "robot": true}}),
            "provenance.robot",
        ),
    ];
    for (path, body, field) in cases {
        let r = raw(
            &post(path, Some("application/json"), body.to_string().as_bytes()),
            Duration::from_secs(10),
        );
        assert_error(&r, 422, "validation_failed");
        assert_eq!(r.body["field"], field, "{r:?}");
    }
    // An operator's profile with a misspelt field.
    let profile = json!({"market": "tech", "demand_sid": {}}).to_string();
    let request = format!(
        "PUT /v1/profiles/typo HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{profile}",
        SERVER.operator,
        profile.len()
    );
    let r = raw(request.as_bytes(), Duration::from_secs(10));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "demand_sid", "{r:?}");
}

#[test]
fn huge_query_strings_and_texts_are_refused_cleanly() {
    // A query text over the limit: 400 naming `q`, quickly.
    let long: String = "锂电池正极材料".chars().cycle().take(3_000).collect();
    let r = get(&format!("/v1/search?q={}", enc(&long)));
    assert_error(&r, 400, "bad_request");
    assert_eq!(r.body["field"], "q");
    assert!(r.elapsed < Duration::from_secs(2), "{r:?}");
    // At the limit it is searched.
    let limit: String = long.chars().take(2_000).collect();
    let r = get(&format!("/v1/search?q={}&kind=need", enc(&limit)));
    assert_eq!(r.status, 200, "{r:?}");
    // Thousands of parameters: the first unknown one is named.
    let many: String = (0..5_000).map(|i| format!("&p{i}=1")).collect();
    let r = get(&format!("/v1/search?q=x{many}"));
    assert_error(&r, 400, "bad_request");
    assert_eq!(r.body["field"], "p0");
    // A request line over the server's header buffer: refused, connection closed, server fine.
    let huge = "a".repeat(2 * 1024 * 1024);
    let mut stream = TcpStream::connect(SERVER.addr).unwrap();
    let _ = stream
        .write_all(format!("GET /v1/search?q={huge} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
    let (answer, _) = until_closed(&mut stream, Duration::from_secs(10));
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    // A free text over a document body's length: 422 naming `text`.
    let text: String = "锂电池".chars().cycle().take(20_001).collect();
    let body = json!({"text": text, "kind": "achievement"}).to_string();
    assert!(body.len() <= BODY_LIMIT);
    let r = raw(
        &post("/v1/match", Some("application/json"), body.as_bytes()),
        Duration::from_secs(10),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["field"], "text");
    assert_eq!(get("/healthz").status, 200);
}

#[test]
fn a_body_refused_unread_closes_the_connection_so_pooled_clients_do_not_reuse_it() {
    // An anonymous write is refused (401) before its body is read: the server
    // must say `Connection: close`, or a keep-alive client's next request
    // lands on a socket the server has already dropped.
    let doc = doc_json("N-unread");
    let head = format!(
        "POST /v1/needs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{doc}",
        doc.len()
    );
    let r = raw(head.as_bytes(), Duration::from_secs(10));
    assert_error(&r, 401, "unauthorized");
    assert!(
        r.head.to_ascii_lowercase().contains("connection: close"),
        "{r:?}"
    );
    // A successful request on a keep-alive connection leaves it open for the next one.
    let mut stream = TcpStream::connect(SERVER.addr).unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET /v1/needs/N-hostile HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let r = read_response(&mut stream, Duration::from_secs(10));
        assert_eq!(r.status, 200, "{r:?}");
        assert!(!r.head.to_ascii_lowercase().contains("connection: close"));
    }
}
