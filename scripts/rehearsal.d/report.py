#!/usr/bin/env python3
"""The rehearsal's verdict: reads what the load recorded (requests.jsonl, outcomes.json), what
the script did (events.jsonl), the job queue (through psql) and the SMTP catcher's Maildir,
prints the tables and exits 1 when an assertion fails:

  * no failed request (connection error, timeout, 5xx or any status other than the expected);
  * every job succeeded: none pending, running or dead; one send-email job per expected mail
    and one post-fan-out job per published post;
  * every expected mail received exactly once, and nothing else.

    report.py --out DIR --maildir DIR --psql 'postgres://…' --run-id ID --slug gordikey
"""

import argparse
import collections
import datetime
import email
import email.policy
import email.utils
import json
import os
import subprocess
import sys


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def psql(url, query):
    result = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", query],
        check=True, capture_output=True, text=True,
    )
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def drain_timeline(logs, instance):
    """(seconds from SIGTERM to haproxy's DOWN, to the last request finished) from the logs."""
    sigterm = finished = None
    with open(os.path.join(logs, f"{instance}.log")) as f:
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            message = entry.get("fields", {}).get("message")
            if message == "received SIGTERM":
                sigterm = timestamp(entry["timestamp"])
            elif message in ("all requests finished",
                             "the grace period ended with requests still running; they were cut off"):
                finished = timestamp(entry["timestamp"])
    if sigterm is None or finished is None:
        return None
    with open(os.path.join(logs, "haproxy.log")) as f:
        for line in f:
            stamp, _, rest = line.partition(" ")
            if rest.startswith(f"Server web/{instance} is DOWN"):
                at = timestamp(stamp)
                if at >= sigterm:
                    return at - sigterm, finished - sigterm
    return None


def mid_send_takeovers(logs):
    """Ids of the jobs a worker found claimed by another worker's send (a killed worker's)."""
    jobs = set()
    for name in sorted(os.listdir(logs)):
        if not name.startswith("worker"):
            continue
        with open(os.path.join(logs, name)) as f:
            for line in f:
                if "another worker is sending this mail" not in line:
                    continue
                try:
                    jobs.add(json.loads(line)["span"]["job_id"])
                except (ValueError, KeyError):
                    continue
    return jobs


def scheduled_ticks(logs):
    """{(job, tick): [worker, ...]} from every worker's "scheduled job started" lines."""
    ticks = collections.defaultdict(list)
    for name in sorted(os.listdir(logs)):
        if not name.startswith("worker"):
            continue
        with open(os.path.join(logs, name)) as f:
            for line in f:
                if '"scheduled job started"' not in line:
                    continue
                try:
                    fields = json.loads(line)["fields"]
                except (ValueError, KeyError):
                    continue
                ticks[(fields.get("job"), fields.get("tick"))].append(name.removesuffix(".log"))
    return ticks


def table(headers, rows, align=None):
    align = align or ["<"] + [">"] * (len(headers) - 1)
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--psql", required=True, help="database URL for psql")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--slug", default="gordikey")
    parser.add_argument("--shutdown-delay", type=float, required=True, help="PATRON_SHUTDOWN_DELAY in seconds")
    args = parser.parse_args()

    failures = []
    out = []

    def say(text=""):
        out.append(text)
        print(text)

    records = [json.loads(line) for line in open(os.path.join(args.out, "requests.jsonl"))]
    outcomes = json.load(open(os.path.join(args.out, "outcomes.json")))
    events = []
    events_path = os.path.join(args.out, "events.jsonl")
    if os.path.exists(events_path):
        events = [json.loads(line) for line in open(events_path)]
    start = outcomes["started"]

    # --- requests --------------------------------------------------------------------------
    by_kind = collections.defaultdict(list)
    for record in records:
        by_kind[record["kind"]].append(record)
    order = ["page", "creator", "posts", "feed", "me", "login", "register", "reset", "publish"]
    rows = []
    for kind in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99):
        group = by_kind[kind]
        ms = [r["ms"] for r in group if r["status"] is not None]
        failed = sum(1 for r in group if not r["ok"])
        rows.append([kind, len(group), failed, f"{percentile(ms, 0.5):.1f}", f"{percentile(ms, 0.99):.1f}",
                     f"{max(ms) if ms else float('nan'):.1f}"])
    all_ms = [r["ms"] for r in records if r["status"] is not None]
    total_failed = sum(1 for r in records if not r["ok"])
    rows.append(["all", len(records), total_failed, f"{percentile(all_ms, 0.5):.1f}",
                 f"{percentile(all_ms, 0.99):.1f}", f"{max(all_ms) if all_ms else float('nan'):.1f}"])
    seconds = outcomes["finished"] - outcomes["started"]
    say(f"Requests through the load balancer: {len(records)} in {seconds:.1f} s "
        f"({len(records) / max(seconds, 0.001):.0f}/s)")
    say(table(["kind", "requests", "failed", "p50 ms", "p99 ms", "max ms"], rows))
    say()
    servers = collections.Counter(r["server"] or "(none)" for r in records)
    say("Answered by: " + ", ".join(f"{name} {count}" for name, count in sorted(servers.items())))
    if total_failed:
        failures.append(f"{total_failed} failed request(s)")
        say()
        say("Failed requests (first 20):")
        for r in [r for r in records if not r["ok"]][:20]:
            say(f"  +{r['t'] - start:7.3f}s {r['kind']:<9} {r['server'] or '-':<6} {r['status']} {r['error']}")

    # --- what happened meanwhile --------------------------------------------------------------
    say()
    say("Rehearsed while the load ran:")
    terms = {}
    for event in events:
        offset = event["t"] - start
        say(f"  +{offset:6.2f}s  {event['what']}")
        if event.get("sigterm"):
            terms[event["instance"]] = event["t"]
        if event.get("exit") is not None and event["exit"] != event.get("expected_exit", 0):
            failures.append(f"{event['instance']} exited with {event['exit']}")
    for instance, at in sorted(terms.items()):
        after = sum(1 for r in records if r["server"] == instance and r["t"] >= at)
        say(f"  {instance} answered {after} request(s) after its SIGTERM, while it drained")
    if terms:
        say()
        say("The drain of each replaced web instance, from its log and haproxy's:")
        for instance in sorted(terms):
            drain = drain_timeline(os.path.join(args.out, "logs"), instance)
            if drain is None:
                failures.append(f"no SIGTERM or no DOWN found in the logs of {instance}")
                continue
            down, finished = drain
            say(f"  {instance}: haproxy marked it DOWN {down:.2f} s after SIGTERM; its listener closes at "
                f"{args.shutdown_delay:.2f} s (PATRON_SHUTDOWN_DELAY); all its requests had finished at {finished:.2f} s")
            if down >= args.shutdown_delay:
                failures.append(f"haproxy took {instance} out only after its listener closed "
                                f"({down:.2f} s >= PATRON_SHUTDOWN_DELAY {args.shutdown_delay} s)")

    ticks = scheduled_ticks(os.path.join(args.out, "logs"))
    twice = {key: names for key, names in ticks.items() if len(names) > 1}
    per_worker = collections.Counter(name for names in ticks.values() for name in names)
    say(f"Scheduled job runs: {sum(per_worker.values())} "
        f"({', '.join(f'{name} {n}' for name, n in sorted(per_worker.items())) or 'none'}); "
        f"ticks fired twice: {len(twice)}")
    if twice:
        failures.append(f"{len(twice)} scheduled tick(s) fired on two workers, e.g. {sorted(twice.items())[:3]}")
    if not ticks:
        failures.append("the scheduler fired nothing")

    # --- jobs ---------------------------------------------------------------------------------
    say()
    rows = psql(args.psql, "SELECT kind, status, count(*), sum(attempts), max(attempts) FROM jobs "
                           "GROUP BY kind, status ORDER BY kind, status")
    say("Jobs in the queue (by kind and status):")
    say(table(["kind", "status", "jobs", "attempts", "most attempts"], rows))
    jobs = collections.Counter()
    for kind, status, count, _attempts, _most in rows:
        jobs[(kind, status)] += int(count)
        if status != "succeeded":
            failures.append(f"{count} {kind} job(s) {status}")
    retried = psql(args.psql, "SELECT count(*) FROM jobs WHERE attempts > 1")[0][0]
    say(f"Jobs that needed more than one attempt: {retried}")
    busy = mid_send_takeovers(os.path.join(args.out, "logs"))
    say(f"Mails another worker found claimed mid-send (the killed worker's): {len(busy)}; "
        "retried until the claim ran out, then sent")
    effects = psql(args.psql, "SELECT state, count(*) FROM effects GROUP BY state ORDER BY state")
    say("Mail idempotency keys: " + (", ".join(f"{state} {count}" for state, count in effects) or "none"))
    for state, count in effects:
        if state != "done":
            failures.append(f"{count} idempotency key(s) still {state}")

    # --- mails --------------------------------------------------------------------------------
    followers = [row[0] for row in psql(args.psql, f"""
        SELECT users.email FROM follows
        JOIN users ON users.id = follows.user_id
        JOIN creators ON creators.id = follows.creator_id
        WHERE creators.slug = '{args.slug}'
          AND NOT EXISTS (SELECT 1 FROM email_preferences p WHERE p.user_id = follows.user_id
                          AND p.category = 'new_posts' AND p.enabled = false)
        ORDER BY users.email""")]
    expected = collections.Counter()
    for address in outcomes["registered"]:
        expected[("confirmation", address)] += 1
    for address in outcomes["resets"]:
        expected[("password reset", address)] += 1
    for post in outcomes["posts"]:
        for address in followers:
            expected[("new post " + post["title"].rsplit(" ", 1)[-1], address)] += 1

    received = collections.Counter()
    message_ids = collections.Counter()
    maildir_files = []
    for sub in ("new", "cur"):
        folder = os.path.join(args.maildir, sub)
        if os.path.isdir(folder):
            maildir_files += [os.path.join(folder, name) for name in os.listdir(folder)]
    prefix = f"Rehearsal {args.run_id} post "
    for path in maildir_files:
        with open(path, "rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        subject = str(message["Subject"] or "")
        to = email.utils.parseaddr(str(message["To"] or ""))[1].lower()
        if subject == "Confirm your e-mail address":
            kind = "confirmation"
        elif subject == "Choose a new password":
            kind = "password reset"
        elif prefix in subject:
            kind = "new post " + subject.split(prefix, 1)[1].strip()
        else:
            kind = f"other: {subject}"
        received[(kind, to)] += 1
        message_ids[str(message["Message-ID"])] += 1

    def group(kind):
        return "new post" if kind.startswith("new post") else kind

    rows = []
    groups = sorted({group(k) for k, _ in expected} | {group(k) for k, _ in received})
    for name in groups:
        exp = sum(n for (k, _), n in expected.items() if group(k) == name)
        got = sum(n for (k, _), n in received.items() if group(k) == name)
        missing = sum(max(0, n - received[key]) for key, n in expected.items() if group(key[0]) == name)
        extra = sum(max(0, n - expected[key]) for key, n in received.items() if group(key[0]) == name)
        rows.append([name, exp, got, missing, extra])
    say()
    say(f"E-mails (SMTP catcher; new posts go to the {len(followers)} followers of /{args.slug}, "
        f"{len(outcomes['posts'])} posts):")
    say(table(["mail", "expected", "received", "missing", "duplicate/unexpected"], rows))
    missing = [key for key, n in expected.items() if received[key] < n]
    extra = [key for key, n in received.items() if n > expected[key]]
    if missing:
        failures.append(f"{len(missing)} expected mail(s) missing, e.g. {missing[:3]}")
    if extra:
        failures.append(f"{len(extra)} mail(s) duplicated or unexpected, e.g. {extra[:3]}")
    duplicated_ids = sum(1 for n in message_ids.values() if n > 1)
    if duplicated_ids:
        failures.append(f"{duplicated_ids} Message-ID(s) received more than once")
    if outcomes["unknown_registrations"]:
        say(f"Registrations without a clear answer (not counted either way): {len(outcomes['unknown_registrations'])}")

    send_jobs = sum(n for (kind, _), n in jobs.items() if kind == "send-email")
    fan_out_jobs = sum(n for (kind, _), n in jobs.items() if kind == "post-fan-out")
    expected_mails = sum(expected.values())
    say(f"send-email jobs {send_jobs} for {expected_mails} expected mails; "
        f"post-fan-out jobs {fan_out_jobs} for {len(outcomes['posts'])} posts")
    if send_jobs != expected_mails:
        failures.append(f"{send_jobs} send-email jobs, expected {expected_mails}")
    if fan_out_jobs != len(outcomes["posts"]):
        failures.append(f"{fan_out_jobs} post-fan-out jobs, expected {len(outcomes['posts'])}")
    if not outcomes["registered"] or not outcomes["resets"] or not outcomes["posts"]:
        failures.append("the load wrote too little to check the mails (no registration, reset or post)")

    say()
    if failures:
        say("REHEARSAL FAILED:")
        for failure in failures:
            say(f"  - {failure}")
    else:
        say(f"REHEARSAL PASSED: 0 failed requests of {len(records)}, every job succeeded, "
            f"every one of {expected_mails} mails received exactly once")
    with open(os.path.join(args.out, "report.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
