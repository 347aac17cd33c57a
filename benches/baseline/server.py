#!/usr/bin/env python3
"""The baseline a user might run instead of duijie: a small Python HTTP
service over the same JSON-lines corpora, with jieba for words, rank_bm25
for BM25 and hnswlib for nearest neighbours.

Vectors are hashed TF-IDF over jieba words (no model download), L2-normalised,
in one hnswlib index per kind. A match takes the document's words, scores the
counterpart kind with BM25 and takes its ANN neighbours, and ranks the union by
0.5 * BM25 / max BM25 + 0.5 * cosine.

Routes (the subset the load run uses, same paths as duijie):
  GET /readyz
  GET /v1/{kind}/{id}/matches?k=10
  PUT /v1/{kind}/{id}      (replaces the text and the vector; BM25 statistics
                            are rebuilt in the background every 30 s when dirty)

Usage: server.py CORPORA_DIR PORT
"""

import json
import math
import os
import re
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import hnswlib
import jieba
import numpy as np
from rank_bm25 import BM25Okapi

DIM = 256
FILES = {
    "need": "needs.jsonl",
    "achievement": "achievements.jsonl",
    "request": "requests.jsonl",
    "supplier": "suppliers.jsonl",
}
PLURAL = {"needs": "need", "achievements": "achievement", "requests": "request", "suppliers": "supplier"}
COUNTERPART = {"need": "achievement", "achievement": "need", "request": "supplier", "supplier": "request"}
WORD = re.compile(r"\w")

jieba.setLogLevel(60)


def words(doc):
    text = " ".join([doc.get("title", ""), doc.get("body", "")] + doc.get("tags", []) + doc.get("products", []))
    return [w for w in jieba.lcut(text) if WORD.search(w)]


class Kind:
    """Documents of one kind: words, BM25, vectors."""

    def __init__(self, docs):
        self.ids = [d["id"] for d in docs]
        self.docs = {d["id"]: d for d in docs}
        self.label = {i: n for n, i in enumerate(self.ids)}
        self.words = [words(d) for d in docs]
        self.lock = threading.Lock()
        self.dirty = False
        self.bm25 = BM25Okapi(self.words)
        self.index = hnswlib.Index(space="ip", dim=DIM)
        self.index.init_index(max_elements=len(self.ids) + 10000, ef_construction=100, M=16)
        self.index.set_ef(64)
        self.index.add_items(np.stack([vector(w, IDF) for w in self.words]), list(range(len(self.ids))))

    def rebuild_bm25(self):
        with self.lock:
            if not self.dirty:
                return
            corpus = list(self.words)
            self.dirty = False
        bm25 = BM25Okapi(corpus)
        with self.lock:
            self.bm25 = bm25


IDF = {}


def vector(ws, idf):
    v = np.zeros(DIM, dtype=np.float32)
    for w, n in Counter(ws).items():
        h = hash(w)
        v[h % DIM] += (1.0 if (h >> 20) & 1 else -1.0) * (1.0 + math.log(n)) * idf.get(w, 1.0)
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def load(corpora):
    docs = {}
    for kind, name in FILES.items():
        path = os.path.join(corpora, name)
        with open(path, encoding="utf-8") as f:
            docs[kind] = [json.loads(line) for line in f if line.strip()]
    df = Counter()
    total = 0
    for kind_docs in docs.values():
        for d in kind_docs:
            df.update(set(words(d)))
            total += 1
    IDF.update({w: math.log(1 + total / n) for w, n in df.items()})
    return {kind: Kind(kind_docs) for kind, kind_docs in docs.items()}


def match(kinds, kind, doc_id, k):
    source = kinds[kind]
    with source.lock:
        if doc_id not in source.label:
            return None
        query = source.words[source.label[doc_id]]
    target = kinds[COUNTERPART[kind]]
    with target.lock:
        bm25 = target.bm25
    scores = bm25.get_scores(query)
    top = np.argsort(-scores)[:100]
    best = float(scores[top[0]]) if len(top) and scores[top[0]] > 0 else 1.0
    combined = {int(i): 0.5 * float(scores[i]) / best for i in top}
    labels, distances = target.index.knn_query(vector(query, IDF).reshape(1, -1), k=min(100, len(target.ids)))
    for label, distance in zip(labels[0], distances[0]):
        combined[int(label)] = combined.get(int(label), 0.0) + 0.5 * (1.0 - float(distance))
    ranked = sorted(combined.items(), key=lambda kv: -kv[1])[:k]
    return [{"id": target.ids[i], "title": target.docs[target.ids[i]].get("title", ""), "score": s} for i, s in ranked]


def serve(kinds, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, payload):
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if url.path == "/readyz":
                return self.reply(200, {"ready": True})
            if len(parts) == 4 and parts[0] == "v1" and parts[1] in PLURAL and parts[3] == "matches":
                k = int(parse_qs(url.query).get("k", ["10"])[0])
                results = match(kinds, PLURAL[parts[1]], parts[2], k)
                if results is None:
                    return self.reply(404, {"error": "not_found"})
                return self.reply(200, {"results": results})
            self.reply(404, {"error": "not_found"})

        def do_PUT(self):
            parts = urlparse(self.path).path.strip("/").split("/")
            length = int(self.headers.get("Content-Length", "0"))
            doc = json.loads(self.rfile.read(length) or b"{}")
            if len(parts) != 3 or parts[1] not in PLURAL:
                return self.reply(404, {"error": "not_found"})
            kind = kinds[PLURAL[parts[1]]]
            doc["id"] = parts[2]
            ws = words(doc)
            with kind.lock:
                label = kind.label.get(doc["id"])
                created = label is None
                if created:
                    label = len(kind.ids)
                    kind.ids.append(doc["id"])
                    kind.words.append(ws)
                    kind.label[doc["id"]] = label
                else:
                    kind.words[label] = ws
                kind.docs[doc["id"]] = doc
                kind.dirty = True
            kind.index.add_items(vector(ws, IDF).reshape(1, -1), [label])
            self.reply(201 if created else 200, {"id": doc["id"], "created": created})

    def rebuild():
        while True:
            time.sleep(30)
            for kind in kinds.values():
                kind.rebuild_bm25()

    threading.Thread(target=rebuild, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"baseline serving on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    started = time.time()
    loaded = load(sys.argv[1])
    print(f"baseline loaded in {time.time() - started:.1f} s", file=sys.stderr, flush=True)
    serve(loaded, int(sys.argv[2]))
