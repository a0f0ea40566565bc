#!/usr/bin/env python3
"""scripts/bench-relocate's client of a running patron: fills the demo install with media,
posts and comments, and records what its public API shows, to compare after the relocation.

    site.py seed     --url URL --db PATRON_DB --images N --fans N --comments N --out FILE
    site.py snapshot --url URL --fan-token TOKEN --out FILE --dir DIR [--sample N | --like FILE]
    site.py compare  BEFORE AFTER --s3-endpoint URL

seed: registers fans who follow the demo creator; as the creator, uploads N distinct
random-noise PNGs (POST /api/v1/media, four at a time), waits until the worker has made every
one's renditions, publishes a photo post with each (every tenth for supporters only, so its
images get presigned S3 URLs after the move); the fans comment on the posts; then it waits until
the job queue (read from the SQLite file DB) has nothing due or running. Writes a JSON summary
(what was made, bytes uploaded and stored, jobs, the demo fan's token) to FILE.

snapshot: every post of GET /api/v1/creators/gordikey/posts (public, all pages), and the bytes
of every rendition (url and srcset) of a sample of photo posts as the demo fan with the top
tier sees them: N public and N supporters-only posts, or the same posts as an earlier snapshot
(--like). Image bytes go to DIR, their SHA-256 and address into FILE.

compare: exits 1, saying what differs, unless both snapshots show the same posts (everything
but media addresses) and the same image bytes, and the supporters-only images of AFTER come
from presigned URLs on the S3 endpoint. Only the standard library; no proxy is used.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import sqlite3
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

SLUG = "gordikey"
OWNER = "gordikey@demo.patron.example"
TOP_FAN = "fan3@demo.patron.example"  # the demo fan with the highest tier: sees every post
PASSWORD = "patron-demo"
# media addresses differ by backend (a patron path, a presigned S3 URL); the rest must not
ADDRESS_KEYS = ("url", "srcset", "poster_url", "hls_url")

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class HttpError(Exception):
    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url}: HTTP {status}: {body[:300]!r}")
        self.status = status


def request(method, url, *, token=None, json_body=None, data=None, content_type=None, expect=(200,), raw=False):
    """One request; retried after a 429 as long as Retry-After says. Returns JSON, or bytes if raw."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        content_type = "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    for attempt in range(30):
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with opener.open(req, timeout=120) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
            if status == 429 and attempt < 29:
                wait = float(error.headers.get("Retry-After") or 5)
                time.sleep(min(max(wait, 0.5), 65))
                continue
        if status not in expect:
            raise HttpError(method, url, status, body)
        if raw:
            return body
        return json.loads(body) if body else None
    raise AssertionError("unreachable")


def login(base, email):
    return request("POST", f"{base}/api/v1/auth/login", json_body={"email": email, "password": PASSWORD})["token"]


# --- images ------------------------------------------------------------------------------------

def png(width, height, levels, rng):
    """A random-noise RGB PNG whose channels take `levels` values: deflate packs few levels
    tightly, while the JPEG renditions of such noise stay large."""
    table = bytes((b * levels // 256) * 255 // (levels - 1) for b in range(256))
    flat = rng.randbytes(width * height * 3).translate(table)
    stride = width * 3
    raw = b"".join(b"\x00" + flat[y * stride:(y + 1) * stride] for y in range(height))

    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


# PNG bytes a pixel by noise levels (measured), and what patron stores of such an upload
# (its JPEG renditions, the original is dropped): 2 levels ≈ 4.6× the upload, 4 ≈ 2.7×,
# 8 ≈ 2.2×, 256 ≈ 0.7× — 2.7–2.9× over a run, 300 uploads (≈130 MiB) ≈ 345–375 MiB of objects
PNG_BYTES_PER_PIXEL = {2: 0.48, 4: 0.88, 8: 1.28, 256: 3.0}


def image_for(index, salt):
    """Image `index` of the run (distinct across runs by `salt`): 300–600 KB of PNG, of one of
    four noise levels, landscape, square or portrait."""
    rng = random.Random(f"{salt}-{index}")
    levels = rng.choice(sorted(PNG_BYTES_PER_PIXEL))
    pixels = int(rng.randint(300_000, 600_000) / PNG_BYTES_PER_PIXEL[levels])
    ratio = rng.choice([4 / 3, 3 / 2, 16 / 9, 1.0, 3 / 4, 2 / 3])
    width = max(16, int((pixels * ratio) ** 0.5))
    height = max(16, pixels // width)
    return png(width, height, levels, rng)


def upload(base, token, name, content, content_type):
    boundary = f"----bench{random.getrandbits(64):016x}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return request("POST", f"{base}/api/v1/media?creator={SLUG}", token=token, data=body,
                   content_type=f"multipart/form-data; boundary={boundary}", expect=(201,))


def queue(db_path):
    """The install's job queue, read from its SQLite file (read only): {(kind, status): count},
    and how many jobs are due or running."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        counts = {(kind, status): n for kind, status, n in
                  connection.execute("SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status")}
        now_micros = time.time_ns() // 1000
        (busy,) = connection.execute(
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' OR (status = 'pending' AND run_at <= ?)",
            (now_micros,)).fetchone()
        return counts, busy
    finally:
        connection.close()


def seed(args):
    base = args.url.rstrip("/")
    started = time.monotonic()
    owner = login(base, OWNER)
    salt = f"{time.time_ns()}-{os.getpid()}"
    lock = threading.Lock()

    # 1. fans first: registered and following before anything is published, so that every post
    #    mails the same followers (the jobs and outbox rows do not depend on the worker's timing)
    def register(index):
        email = f"bench-fan-{index + 1:03d}@bench.patron.example"
        token = request("POST", f"{base}/api/v1/auth/register", expect=(201,), json_body={
            "email": email, "password": PASSWORD, "display_name": f"Bench Fan {index + 1}"})["token"]
        request("POST", f"{base}/api/v1/creators/{SLUG}/follow", token=token, expect=(204,))
        return token

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        fan_tokens = list(pool.map(register, range(args.fans)))
    log(f"registered {args.fans} fans, following {SLUG}")

    # 2. uploads, four at a time (the worker makes renditions meanwhile)
    uploaded_bytes = 0
    media_ids = [None] * args.images
    done = 0

    def one(index):
        nonlocal uploaded_bytes, done
        content = image_for(index, salt)
        media = upload(base, owner, f"bench-{index + 1:04d}.png", content, "image/png")
        with lock:
            media_ids[index] = media["id"]
            uploaded_bytes += len(content)
            done += 1
            if done % 50 == 0 or done == args.images:
                log(f"uploaded {done}/{args.images} images ({uploaded_bytes / 2**20:.0f} MiB)")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(args.images)))
    uploads_done = time.monotonic()

    # 3. until every upload has its renditions
    pending = set(media_ids)
    failed = []
    deadline = time.monotonic() + args.timeout
    while pending:
        for media_id in sorted(pending):
            status = request("GET", f"{base}/api/v1/media/{media_id}", token=owner)["status"]
            if status != "processing":
                pending.discard(media_id)
                if status != "ready":
                    failed.append((media_id, status))
        if pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(pending)} uploads still processing after {args.timeout}s")
            time.sleep(1)
    if failed:
        raise SystemExit(f"{len(failed)} uploads were not processed: {failed[:5]}")
    processed = time.monotonic()
    log(f"all {args.images} images processed ({processed - uploads_done:.0f}s after the last upload)")

    # 4. a photo post with each
    post_ids = [None] * args.images

    def publish(index):
        visibility = "supporters" if index % 10 == 9 else "public"
        post = request("POST", f"{base}/api/v1/creators/{SLUG}/posts", token=owner, expect=(201,), json_body={
            "kind": "photo", "title": f"Bench photo {index + 1:04d}",
            "body": f"Noise study no. {index + 1}: {random.Random(index).randint(1, 10**9)} random dots.",
            "visibility": visibility, "status": "published", "media": [media_ids[index]]})
        post_ids[index] = post["id"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(publish, range(args.images)))
    log(f"published {args.images} photo posts")

    # 5. comments on the public posts (at most 10 a minute per user: one fan writes 10 at once)
    public_posts = [p for i, p in enumerate(post_ids) if i % 10 != 9]
    comments = 0

    def write(index):
        nonlocal comments
        rng = random.Random(index)
        for n in range(args.comments):
            post = rng.choice(public_posts)
            request("POST", f"{base}/api/v1/creators/{SLUG}/posts/{post}/comments", token=fan_tokens[index],
                    expect=(201,), json_body={"body": f"Comment {n + 1} of fan {index + 1}: " + "noise " * rng.randint(1, 40)})
            with lock:
                comments += 1

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(args.fans)))
    log(f"the fans wrote {comments} comments")

    # 6. until the worker has done what all that queued (renditions, fan-out, e-mails to the outbox)
    deadline = time.monotonic() + args.timeout
    reported = 0.0
    while True:
        counts, busy = queue(args.db)
        if busy == 0:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{busy} jobs still due or running after {args.timeout}s")
        if time.monotonic() - reported >= 15:
            reported = time.monotonic()
            log(f"waiting for the job queue: {busy} jobs due or running")
        time.sleep(1)
    drained = time.monotonic()
    log(f"job queue drained ({drained - processed:.0f}s after the images were processed)")

    stored = request("GET", f"{base}/api/v1/creators/{SLUG}/media", token=owner)
    summary = {
        "images": args.images, "uploaded_bytes": uploaded_bytes,
        "stored_bytes": stored.get("stored_bytes"), "stored_files": stored.get("files"),
        "posts": len(post_ids), "supporters_posts": len(post_ids) - len(public_posts),
        "fans": args.fans, "comments": comments,
        "jobs": {f"{kind} {status}": n for (kind, status), n in sorted(counts.items())},
        "upload_seconds": round(uploads_done - started, 1), "processing_wait_seconds": round(processed - uploads_done, 1),
        "seed_seconds": round(drained - started, 1),
        "fan_token": login(base, TOP_FAN),
    }
    with open(args.out, "w") as file:
        json.dump(summary, file, indent=2)


# --- snapshot and compare ------------------------------------------------------------------------

def without_addresses(value):
    if isinstance(value, dict):
        return {k: (None if k in ADDRESS_KEYS else without_addresses(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_addresses(v) for v in value]
    return value


def all_posts(base, token=None):
    posts, cursor = [], None
    while True:
        url = f"{base}/api/v1/creators/{SLUG}/posts" + (f"?cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = request("GET", url, token=token)
        posts.extend(page["posts"])
        cursor = page.get("next_cursor")
        if not cursor:
            return posts


def snapshot(args):
    base = args.url.rstrip("/")
    posts = all_posts(base)
    if args.like:
        with open(args.like) as file:
            sample = json.load(file)["sample"]
    else:
        # an even spread over the photo posts, public and supporters-only
        photos = [p for p in posts if p["kind"] == "photo" and p["title"].startswith("Bench photo")]
        sample = []
        for visibility in ("public", "supporters"):
            chosen = [p["id"] for p in photos if p["visibility"] == visibility]
            step = max(1, len(chosen) // max(1, args.sample))
            sample.extend(chosen[::step][:args.sample])
    os.makedirs(args.dir, exist_ok=True)
    images = []
    for post_id in sample:
        post = request("GET", f"{base}/api/v1/creators/{SLUG}/posts/{post_id}", token=args.fan_token)
        if post.get("locked") or not post.get("media"):
            raise SystemExit(f"post {post_id} shows no media to the demo fan (locked: {post.get('locked')})")
        for media in post["media"]:
            addresses = [("url", media["url"])] + [(f"w{s['width']}", s["url"]) for s in media.get("srcset", [])]
            for name, address in addresses:
                if not address:
                    raise SystemExit(f"post {post_id}: media {media['id']} has no address for {name}")
                absolute = address if "://" in address else base + address
                content = request("GET", absolute, raw=True)
                file_name = f"{post_id}-{media['id']}-{name}"
                with open(os.path.join(args.dir, file_name), "wb") as file:
                    file.write(content)
                images.append({"post": post_id, "visibility": post["visibility"], "media": media["id"],
                               "rendition": name, "address": address, "file": os.path.join(args.dir, file_name),
                               "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    with open(args.out, "w") as file:
        json.dump({"posts": posts, "sample": sample, "images": images}, file, indent=1)
    log(f"snapshot of {base}: {len(posts)} posts, {len(images)} images of {len(sample)} posts "
        f"({sum(i['bytes'] for i in images) / 2**20:.1f} MiB)")


def compare(args):
    with open(args.before) as file:
        before = json.load(file)
    with open(args.after) as file:
        after = json.load(file)
    problems = []
    ids_before = [(p["id"], p["title"]) for p in before["posts"]]
    ids_after = [(p["id"], p["title"]) for p in after["posts"]]
    if ids_before != ids_after:
        missing = sorted(set(ids_before) - set(ids_after))[:5]
        extra = sorted(set(ids_after) - set(ids_before))[:5]
        problems.append(f"posts differ: {len(ids_before)} before, {len(ids_after)} after; "
                        f"missing {missing}, new {extra}" + ("" if missing or extra else " (order differs)"))
    else:
        for old, new in zip(before["posts"], after["posts"]):
            if without_addresses(old) != without_addresses(new):
                fields = sorted(k for k in set(old) | set(new)
                                if without_addresses(old.get(k)) != without_addresses(new.get(k)))
                problems.append(f"post {old['id']} ({old['title']}) differs in {', '.join(fields)}")
    key = lambda image: (image["post"], image["media"], image["rendition"])  # noqa: E731
    old_images = {key(i): i for i in before["images"]}
    new_images = {key(i): i for i in after["images"]}
    if set(old_images) != set(new_images):
        problems.append(f"renditions differ: {sorted(set(old_images) ^ set(new_images))[:5]}")
    presigned = 0
    for k, old in sorted(old_images.items()):
        new = new_images.get(k)
        if new is None:
            continue
        with open(old["file"], "rb") as a, open(new["file"], "rb") as b:
            if a.read() != b.read():
                problems.append(f"image {'/'.join(k)} differs: {old['bytes']} bytes before, {new['bytes']} after")
        if new["visibility"] != "public":
            # non-public files come as presigned GETs straight from the S3 server
            if new["address"].startswith(args.s3_endpoint) and "X-Amz-Signature=" in new["address"]:
                presigned += 1
            else:
                problems.append(f"image {'/'.join(k)} (supporters) is not a presigned S3 URL: {new['address'][:120]}")
    result = {"posts": len(ids_after), "images_compared": len(new_images), "image_bytes": sum(i["bytes"] for i in after["images"]),
              "presigned_s3_images": presigned, "plain_patron_images": len(new_images) - presigned, "problems": problems}
    print(json.dumps(result))
    for problem in problems[:30]:
        log(f"DIFFERENT: {problem}")
    sys.exit(1 if problems else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--url", required=True)
    p.add_argument("--images", type=int, required=True)
    p.add_argument("--fans", type=int, default=40)
    p.add_argument("--comments", type=int, default=10, help="per fan")
    p.add_argument("--db", required=True, help="the install's patron.db, to watch its job queue")
    p.add_argument("--timeout", type=int, default=1800, help="seconds for the processing and for the job queue")
    p.add_argument("--out", required=True)
    p = sub.add_parser("snapshot")
    p.add_argument("--url", required=True)
    p.add_argument("--fan-token", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--sample", type=int, default=6, help="posts of each visibility")
    p.add_argument("--like", help="the snapshot whose sample to fetch again")
    p = sub.add_parser("compare")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--s3-endpoint", required=True)
    args = parser.parse_args()
    {"seed": seed, "snapshot": snapshot, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
