#!/usr/bin/env python3
"""The rehearsal's load: steady traffic through the load balancer until SIGTERM, with every
request's outcome recorded.

    load.py --url http://127.0.0.1:PORT --out DIR --run-id ID

Kinds of request (each thread paces itself; a slow answer slows only its own thread):

  page      GET /gordikey                              the creator page (HTML)      200
  creator   GET /api/v1/creators/gordikey              the page as JSON              200
  posts     GET /api/v1/creators/gordikey/posts        its posts                     200
  feed      GET /api/v1/feed           (a demo fan)    the fan's feed                200
  me        GET /api/v1/me             (a demo fan)    the fan's account             200
  login     POST /api/v1/auth/login    (demo accounts) a new API token               200
  register  POST /api/v1/auth/register (new address)   mails a confirmation link     201
  reset     POST /api/v1/auth/password-reset           mails a reset link            202
            (each address registered above, once)
  publish   POST /api/v1/creators/gordikey/posts       mails every follower          201
            (the owner, a public post)

Any other status, a connection error or a timeout is a failed request. Written to DIR:
requests.jsonl (one line per request: wall-clock start, kind, status, milliseconds, the
instance that answered, error), and outcomes.json (the addresses registered, the resets
accepted and the posts published: what the mail check expects). DIR/started appears once the
load is running.
"""

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

DEMO_PASSWORD = "patron-demo"
OWNER = "gordikey@demo.patron.example"
FAN = "fan2@demo.patron.example"
LOGINS = [f"fan{n}@demo.patron.example" for n in range(1, 5)] + ["contributor1@demo.patron.example"]
SLUG = "gordikey"
EXPECTED = {
    "page": 200, "creator": 200, "posts": 200, "feed": 200, "me": 200,
    "login": 200, "register": 201, "reset": 202, "publish": 201,
}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.registered = []  # addresses whose registration answered 201
        self.unknown_registrations = []  # addresses whose registration got no clear answer
        self.resets = []  # addresses whose reset answered 202
        self.posts = []  # {"id", "title"} of posts published

    def add(self, record):
        with self.lock:
            self.records.append(record)


class Client:
    """One keep-alive connection to the load balancer, reopened after an error."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def call(self, recorder, kind, method, path, body=None, token=None):
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started_wall = time.time()
        started = time.monotonic()
        status, data, served_by, error = None, b"", "", ""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
            served_by = response.getheader("X-Served-By", "")
            if response.will_close:
                self.close()
        except Exception as exc:  # connection refused or reset, timeout, bad answer
            error = f"{type(exc).__name__}: {exc}"
            self.close()
        elapsed_ms = (time.monotonic() - started) * 1000
        ok = status == EXPECTED[kind]
        if status is not None and not ok:
            text = " ".join(data[:300].decode("utf-8", "replace").split())
            error = f"expected {EXPECTED[kind]}, got {status}: {text[:160]}"
        recorder.add({
            "t": round(started_wall, 4), "kind": kind, "status": status, "ms": round(elapsed_ms, 2),
            "server": served_by, "ok": ok, "error": error,
        })
        return status, data

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def paced(stop, per_second, step):
    """Runs step() about per_second times a second until stop is set."""
    interval = 1.0 / per_second
    next_at = time.monotonic()
    while not stop.is_set():
        step()
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            next_at = time.monotonic()


def login(client, recorder, email):
    status, data = client.call(recorder, "login", "POST", "/api/v1/auth/login",
                               {"email": email, "password": DEMO_PASSWORD, "token_name": "rehearsal"})
    if status != 200:
        raise SystemExit(f"load: logging in as {email} failed ({status}); is the demo seeded?")
    return json.loads(data)["token"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--readers", type=int, default=5, help="reading threads")
    parser.add_argument("--read-rate", type=float, default=8.0, help="requests a second per reading thread")
    parser.add_argument("--login-rate", type=float, default=2.0, help="log-ins a second per thread (2 threads)")
    parser.add_argument("--register-rate", type=float, default=1.5, help="sign-ups a second per thread (2 threads)")
    parser.add_argument("--reset-rate", type=float, default=1.5, help="reset requests a second")
    parser.add_argument("--publish-every", type=float, default=4.0, help="seconds between posts")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds before a request counts as failed")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    recorder = Recorder()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def client():
        return Client(host, port, args.timeout)

    setup = client()
    owner_token = login(setup, recorder, OWNER)
    fan_token = login(setup, recorder, FAN)
    setup.close()

    counter = {"register": 0, "publish": 0, "login": 0}
    counter_lock = threading.Lock()
    pending_resets = []
    resets_lock = threading.Lock()

    def next_number(name):
        with counter_lock:
            counter[name] += 1
            return counter[name]

    def reader(offset):
        c = client()
        reads = [
            ("page", f"/{SLUG}", None),
            ("creator", f"/api/v1/creators/{SLUG}", None),
            ("posts", f"/api/v1/creators/{SLUG}/posts", None),
            ("feed", "/api/v1/feed", fan_token),
            ("me", "/api/v1/me", fan_token),
        ]
        state = {"i": offset}

        def step():
            kind, path, token = reads[state["i"] % len(reads)]
            state["i"] += 1
            c.call(recorder, kind, "GET", path, token=token)

        paced(stop, args.read_rate, step)
        c.close()

    def logger():
        c = client()

        def step():
            email = LOGINS[next_number("login") % len(LOGINS)]
            c.call(recorder, "login", "POST", "/api/v1/auth/login",
                   {"email": email, "password": DEMO_PASSWORD, "token_name": "rehearsal"})

        paced(stop, args.login_rate, step)
        c.close()

    def registrar():
        c = client()

        def step():
            email = f"fan-{args.run_id}-{next_number('register')}@rehearsal.example.com"
            status, _ = c.call(recorder, "register", "POST", "/api/v1/auth/register",
                               {"email": email, "password": "rehearsal-password", "token_name": "rehearsal"})
            with recorder.lock:
                if status == 201:
                    recorder.registered.append(email)
                elif status is None or status >= 500:
                    recorder.unknown_registrations.append(email)
            if status == 201:
                with resets_lock:
                    pending_resets.append(email)

        paced(stop, args.register_rate, step)
        c.close()

    def resetter():
        c = client()

        def step():
            with resets_lock:
                email = pending_resets.pop(0) if pending_resets else None
            if email is None:
                return
            status, _ = c.call(recorder, "reset", "POST", "/api/v1/auth/password-reset", {"email": email})
            if status == 202:
                with recorder.lock:
                    recorder.resets.append(email)

        paced(stop, args.reset_rate, step)
        c.close()

    def publisher():
        c = client()

        def step():
            title = f"Rehearsal {args.run_id} post {next_number('publish')}"
            status, data = c.call(recorder, "publish", "POST", f"/api/v1/creators/{SLUG}/posts",
                                  {"title": title, "body": "A walk in the *Šumava* forest.",
                                   "visibility": "public", "status": "published"}, token=owner_token)
            if status == 201:
                with recorder.lock:
                    recorder.posts.append({"id": json.loads(data)["id"], "title": title})

        paced(stop, 1.0 / args.publish_every, step)
        c.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(args.readers)]
    threads += [threading.Thread(target=logger) for _ in range(2)]
    threads += [threading.Thread(target=registrar) for _ in range(2)]
    threads += [threading.Thread(target=resetter), threading.Thread(target=publisher)]
    started = time.time()
    for thread in threads:
        thread.start()
    with open(os.path.join(args.out, "started"), "w") as f:
        f.write(f"{started}\n")
    print(f"load: {len(threads)} threads running against {args.url}", file=sys.stderr, flush=True)

    while not stop.is_set():
        stop.wait(0.5)
    for thread in threads:
        thread.join(args.timeout + 5)
    finished = time.time()

    with open(os.path.join(args.out, "requests.jsonl"), "w") as f:
        for record in recorder.records:
            f.write(json.dumps(record) + "\n")
    with open(os.path.join(args.out, "outcomes.json"), "w") as f:
        json.dump({
            "started": started, "finished": finished,
            "registered": recorder.registered, "unknown_registrations": recorder.unknown_registrations,
            "resets": recorder.resets, "posts": recorder.posts,
        }, f, indent=1)
    failed = sum(1 for r in recorder.records if not r["ok"])
    print(f"load: {len(recorder.records)} requests in {finished - started:.1f}s, {failed} failed",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
