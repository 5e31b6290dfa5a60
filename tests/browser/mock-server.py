#!/usr/bin/env python3
"""A stand-in for wactor's control API, to work on the dashboard without a running host.

  tests/browser/mock-server.py [--port 8089] [--token T] [--no-history] [--extra N]

Serves src/http/dashboard/index.html at / (read on every request, so edits show on reload)
and made-up, moving figures at /v1/components, /v1/edges and /v1/history, in the shapes
docs/DASHBOARD.md describes. --token makes every request need `Authorization: Bearer T`
(the page itself too, unless it is opened with ?token=T); --no-history answers 404 there;
--extra N adds N more components (a crowded host).
"""
import argparse
import json
import math
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "http", "dashboard", "index.html")
START = time.time() - 420  # pretend the host has been up for 7 minutes

# (from, to, base msgs/s)
EDGES = [("$http", "gateway", 180), ("gateway", "auth", 180), ("auth", "gateway", 175),
         ("gateway", "worker-1", 60), ("gateway", "worker-2", 60), ("gateway", "worker-3", 58),
         ("worker-1", "store", 55), ("worker-2", "store", 57), ("worker-3", "store", 52),
         ("store", "audit", 12), ("$host", "audit", 1), ("ticker", "ticker", 2), ("ticker", "gateway", 2)]
COMPONENTS = [("gateway", "", "aot"), ("auth", "", "aot"), ("worker-1", "worker", "aot"), ("worker-2", "worker", "aot"),
              ("worker-3", "worker", "interp"), ("store", "", "aot"), ("audit", "", "interp"), ("ticker", "", "aot")]


def factor(t, name):
    """A slowly wandering multiplier, so rates move like a real load."""
    h = sum(map(ord, name)) % 7
    return 1 + 0.35 * math.sin(t / 23.0 + h) + 0.15 * math.sin(t / 7.0 + 2 * h)


def edge_total(t, f, to, base):
    # integral of base * factor over [0, t], in closed form, so totals only go up
    h = sum(map(ord, f + to)) % 7
    return int(base * (t - 0.35 * 23 * (math.cos(t / 23.0 + h) - math.cos(h))
                       - 0.15 * 7 * (math.cos(t / 7.0 + 2 * h) - math.cos(2 * h))))


def totals_at(now):
    t = now - START
    edges = {(f, to): edge_total(t, f, to, b) for f, to, b in EDGES}
    comps = {}
    into, out = {}, {}
    for (f, to), v in edges.items():
        into[to] = into.get(to, 0) + v
        out[f] = out.get(f, 0) + v
    for cid, module, engine in COMPONENTS:
        handled, sent = into.get(cid, 0), out.get(cid, 0)
        traps = int(t // 40) if cid == "worker-3" else 0
        comps[cid] = {"id": cid, "module": module, "engine": engine,
                      "state": "restarting" if cid == "worker-3" and int(t) % 40 < 2 else "running",
                      "mailbox_depth": int(abs(math.sin(t / 5.0)) * 140) if cid == "store" else int(t) % 3,
                      "pending_requests": 4 if cid == "gateway" else 0,
                      "messages_handled": handled, "messages_sent": sent, "callbacks_handled": 0,
                      "traps": traps, "handler_errors": 3 if cid == "auth" else 0,
                      "restarts": traps, "requests_sent": sent // 2, "replies_error": 0, "requests_timed_out": 0}
    return edges, comps


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if ARGS.token and self.headers.get("Authorization") != "Bearer " + ARGS.token and \
                parse_qs(url.query).get("token") != [ARGS.token]:
            return self.send(401, b'{"error":"token required"}')
        now = time.time()
        edges, comps = totals_at(now)
        if url.path == "/":
            with open(PAGE, "rb") as f:
                return self.send(200, f.read(), "text/html; charset=utf-8")
        if url.path == "/v1/components":
            return self.json(list(comps.values()))
        if url.path == "/v1/edges":
            return self.json([{"from": f, "to": to, "messages": m} for (f, to), m in edges.items()])
        if url.path == "/v1/history" and not ARGS.no_history:
            samples = []
            for i in range(300, -1, -1):
                t = math.floor(now) - i
                if t < START:
                    continue
                e, c = totals_at(t) if i % 30 == 0 or not samples else (None, None)
                if c is None:  # between full samples, only the message totals move (cheap)
                    totals = [(f, edge_total(t - START, f, to, b)) for f, to, b in EDGES]
                    samples.append(dict(samples[-1], t_ms=int(t * 1000), messages_handled=sum(v for _, v in totals),
                                        messages_sent=sum(v for f, v in totals if not f.startswith("$"))))
                    continue
                samples.append({"t_ms": int(t * 1000),
                                **{k: sum(x[k] for x in c.values())
                                   for k in ("messages_handled", "messages_sent", "traps", "handler_errors", "restarts")}})
            return self.json({"interval_ms": 1000, "samples": samples})
        self.send(404, b'{"error":"not found"}')

    def json(self, obj):
        self.send(200, json.dumps(obj).encode())

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--token")
    p.add_argument("--no-history", action="store_true")
    p.add_argument("--extra", type=int, default=0)
    ARGS = p.parse_args()
    for i in range(ARGS.extra):
        COMPONENTS.append((f"pool.{i}", "pool", "aot"))
        EDGES.append(("store", f"pool.{i}", 1 + i % 5))
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stops like wactor: exit 0
    print(f"mock wactor: listening on http://127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()
