#!/usr/bin/env python3
"""Helpers of scripts/bench-mixed: the statement capture, the raw replay and the result rows.

  capture.py requests   one request of each kind of the mix, between markers in the log
  capture.py build      the captured statements -> replay files (pgbench scripts or SQLite)
  capture.py check-hash the audit chain hash as the replay computes it == the server's rows
  capture.py pg-visitors  SQL creating the visitors table the pgbench scripts read
  capture.py run-pg     pgbench over the replay files, at a concurrency; prints tx/s
  (the SQLite replay loop is `vendepunkt-dev replay-sqlite`, crates/devtools/src/replay.rs)
  capture.py row        one row of the results table

See docs/BENCHMARKS.md ("Mixed load").
"""

import argparse
import hashlib
import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse

KINDS = ["me", "case", "caseload", "send"]
# Who sends each kind of request in the capture (the load sends half the messages as the
# client; the statements are the same but for the actor).
ACTORS = {"me": "client", "case": "counselor", "caseload": "counselor", "send": "counselor"}
WEIGHTS = {"case": 50, "caseload": 20, "me": 25, "send": 5}
MARK = "bench-mixed-mark"


def read_sessions(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = []
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append(dict(zip(header, line.split("\t"))))
    return rows


# ----- requests: one of each kind, between markers -----

def page_request(base, kind, v, send_as="counselor"):
    """Sends one request of the mix as wrk's script does; returns (status, location)."""
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    name = v["cookie_name"]
    counselor = {"Cookie": f"{name}={v['counselor_cookie']}"}
    client = {"Cookie": f"{name}={v['client_cookie']}"}
    if kind == "case":
        conn.request("GET", f"/clients/{v['client']}", headers=counselor)
    elif kind == "caseload":
        conn.request("GET", "/caseload", headers=counselor)
    elif kind == "me":
        conn.request("GET", "/me", headers=client)
    else:
        side = counselor if send_as == "counselor" else client
        csrf = v["counselor_csrf"] if send_as == "counselor" else v["client_csrf"]
        body = urllib.parse.urlencode({"csrf_token": csrf, "body": "Takk, da sees vi på torsdag."})
        conn.request("POST", f"/clients/{v['client']}/messages/{v['thread']}", body=body,
                     headers={**side, "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("Location") or ""


class Marker:
    """Writes markers into the statement log, each with the audit head's seq at that moment:
    on PostgreSQL as statements of one open psql session (fast enough to land right after
    the answer), on SQLite as lines appended to the server's log."""

    def __init__(self, db, server_log, url):
        self.db, self.server_log, self.url = db, server_log, url
        if db == "postgres":
            self.psql = subprocess.Popen(["psql", url, "-qAtX"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, text):
        if self.db == "postgres":
            self.psql.stdin.write(f"SELECT seq /* {MARK} */ FROM audit_head WHERE id = 1;\n")
            seq = int(self.psql.stdout.readline())
            self.psql.stdin.write(f"SELECT '{MARK} {text} seq={seq}';\n")
            self.psql.stdout.readline()
        else:
            import sqlite3
            con = sqlite3.connect(f"file:{self.url.removeprefix('sqlite://')}?mode=ro", uri=True)
            seq = con.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()[0]
            con.close()
            with open(self.server_log, "a") as f:
                f.write(f"{MARK} {text} seq={seq}\n")

    def close(self):
        if self.db == "postgres":
            self.psql.stdin.close()
            self.psql.wait()


def cmd_requests(a):
    v = read_sessions(a.sessions)[0]
    mark = Marker(a.db, a.server_log, a.url)
    # A first round unrecorded (the server's pools and caches), then the captured one.
    for kind in KINDS:
        page_request(a.base, kind, v)
    time.sleep(0.5)
    # What the server's background tasks send meanwhile (left out of the replay).
    mark("begin idle")
    time.sleep(2.5)
    mark("end idle")
    for kind in KINDS:
        mark(f"begin {kind}")
        time.sleep(0.2)
        status, location = page_request(a.base, kind, v)
        # Right after the answer: what the server does later (the notice outbox reacting to
        # a message) is not part of the page.
        mark(f"end {kind}")
        # The live event's NOTIFY may go out just after the answer: kept from this window.
        time.sleep(0.3)
        mark(f"after {kind}")
        time.sleep(0.2)
        ok = status == 200 or (kind == "send" and status == 303 and "/messages/" in location)
        if not ok:
            sys.exit(f"capture: {kind} answered HTTP {status} {location}")
    mark.close()
    print(f"captured one request of each kind as client {v['client']}", file=sys.stderr)


# ----- parsing the captured logs -----

PG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\S*)@(\S*) ([A-Z]+):  (.*)$")
PG_PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def parse_pg_log(path, database):
    """Statements of `database` in the log, in order: dicts with pid, sql and params. PostgreSQL
    writes a message with its continuation lines (a tab first) and its DETAIL line together."""
    entries = []
    cur, field = None, None
    with open(path, errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = PG_LINE.match(raw)
            if not m:
                if raw.startswith("\t") and cur is not None and field:
                    cur[field] += "\n" + raw[1:]
                continue
            pid, _user, db, level, text = m.groups()
            field = None
            if db != database:
                cur = None
                continue
            if level == "LOG":
                sm = re.match(r"(?:statement|execute [^:]*): (.*)$", text, re.S)
                if not sm:
                    cur = None
                    continue
                cur = {"pid": pid, "sql": sm.group(1), "_params": ""}
                entries.append(cur)
                field = "sql"
            elif level == "DETAIL" and text.startswith("parameters: ") and cur and cur["pid"] == pid:
                cur["_params"] = text[len("parameters: "):]
                field = "_params"
    out = []
    for e in entries:
        params = {}
        for pm in PG_PARAM.finditer(e["_params"]):
            v = pm.group(2)
            params[int(pm.group(1))] = None if v == "NULL" else v[1:-1].replace("''", "'")
        out.append({"pid": e["pid"], "sql": e["sql"].strip(), "params": params})
    return out


SQLX_LINE = re.compile(r'sqlx::query: summary="((?:[^"\\]|\\.)*)" db\.statement="((?:[^"\\]|\\.)*)"'
                       r' rows_affected=(\d+) rows_returned=(\d+)')


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), s)


def parse_sqlx_log(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(MARK):
                out.append({"sql": line.strip(), "params": {}})
                continue
            m = SQLX_LINE.search(ANSI.sub("", line))
            if m:
                summary, stmt, affected, returned = m.groups()
                sql = unescape(stmt).strip() or unescape(summary).strip()
                out.append({"sql": sql, "params": {}, "rows_affected": int(affected),
                            "rows_returned": int(returned)})
    return out


def by_kind(statements):
    """{kind: [statements between its markers]}"""
    kinds, current, tail = {}, None, None
    seqs = {}
    for s in statements:
        m = re.search(MARK + r" (begin|end|after) (\w+) seq=(\d+)", s["sql"])
        if m:
            what, kind = m.group(1), m.group(2)
            current = kind if what == "begin" else None
            tail = kind if what == "end" else None
            if what != "after":
                seqs.setdefault(kind, []).append(int(m.group(3)))
            if current:
                kinds[current] = []
            continue
        if current:
            kinds[current].append(s)
        elif tail and s["sql"].startswith("SELECT pg_notify("):
            kinds[tail].append(s)
    return kinds, seqs


# ----- turning a captured request into a replay -----

# The sessions file's columns the replay reads, and their variable names.
VISITOR_VARS = {
    "client": "client", "client_user": "client_user", "counselor": "counselor",
    "thread": "thread", "client_token_hash": "client_th", "counselor_token_hash": "counselor_th",
}
# Values of the visitor's rows that pages send back as parameters, read once per visitor.
DERIVED_SQL = {
    "office": "SELECT office_id FROM clients WHERE id = {client}",
    "organisation": "SELECT o.organisation_id FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = {client}",
}
# The counselor's caseload as GET /caseload lists it (their clients at the office, the
# protected ones only for counselors who may reach them; by name): an array literal.
CASELOAD_SQL = """SELECT '{{' || coalesce(string_agg(c.id::text, ',' ORDER BY c.name, c.id), '') || '}}'
  FROM clients c WHERE c.office_id = (SELECT office_id FROM clients WHERE id = {client})
   AND c.assigned_counselor = {counselor}
   AND (NOT c.protected OR EXISTS (SELECT 1 FROM protected_access p
                                    WHERE p.user_id = {counselor} AND p.office_id = c.office_id))"""
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PG_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00(:00)?$")
HEADER = """-- Raw replay of the statements {what} sends, for scripts/bench-mixed ({db}).
-- Captured by `scripts/bench-mixed --capture` from one request of the measured binary
-- (commit {commit}; {how}), the visitor's values replaced by
-- variables, fresh ids and times by expressions, and the audit chain hash computed as
-- domain::audit::row_hash does. GENERATED: re-capture (do not edit) whenever the pages'
-- statements change; a normal run re-captures into $BENCH_DATA and says when these differ.
"""
WHAT = {"case": "GET /clients/{id} (the counselor opens a client)",
        "caseload": "GET /caseload (the counselor's caseload)",
        "me": "GET /me (the client's own plan)",
        "send": "POST /clients/{id}/messages/{thread} (a message in a thread)"}


def sql_literal(v):
    return "'" + v.replace("'", "''") + "'"


def parse_pg_array(v):
    """Elements of a PostgreSQL array literal like {a,"b c",NULL}."""
    inner = v[1:-1]
    out, i = [], 0
    while i < len(inner):
        if inner[i] == '"':
            j, s = i + 1, ""
            while inner[j] != '"':
                if inner[j] == "\\":
                    j += 1
                s += inner[j]
                j += 1
            out.append(s)
            i = j + 2
        else:
            j = inner.find(",", i)
            j = len(inner) if j < 0 else j
            tok = inner[i:j]
            out.append(None if tok == "NULL" else tok)
            i = j + 1
    return out


def pg_hash_expr(prev, seq, id_, at, actor, role, client, kind, action, request, reason):
    """SQL for domain::audit::row_hash: SHA-256 (hex) of the fields, each followed by 0x1f;
    the time as microseconds since the epoch, no reason as the empty string."""
    fields = [prev, f"({seq})::text", f"({id_})::text",
              f"(extract(epoch from ({at})) * 1000000)::bigint::text", f"({actor})::text",
              f"({role})::text", f"({client})::text", f"({kind})::text", f"({action})::text",
              f"({request})::text", f"coalesce(({reason})::text, '')"]
    return ("encode(sha256(convert_to(" + " || chr(31) || ".join(fields)
            + " || chr(31), 'UTF8')), 'hex')")


class Resolver:
    """Maps a captured parameter value to the replay's expression for it."""

    def __init__(self, known, now, db):
        self.known = known          # value -> variable name
        self.now = now              # capture time (seconds since the epoch)
        self.db = db
        self.fresh = {}             # fresh id value -> index
        self.unresolved = []

    def var(self, name):
        return f":{name}"

    def uuid(self, v, where):
        if v in self.known:
            return self.var(self.known[v])
        if v not in self.fresh:
            self.fresh[v] = len(self.fresh) + 1
            if not where.lstrip().upper().startswith("INSERT"):
                self.unresolved.append(v)
        k = self.fresh[v]
        if self.db == "postgres":
            return f"md5(:r::text || '-{k}')::uuid"
        return f"fresh{k}"

    def value(self, v, sql):
        if v is None:
            return "NULL"
        if UUID.match(v):
            return self.uuid(v, sql)
        if v in self.known:
            return self.var(self.known[v])
        if PG_TS.match(v):
            import datetime
            t = datetime.datetime.fromisoformat(v.replace("+00", "+00:00") if v.endswith("+00") else v)
            offset = round(t.timestamp() - self.now)
            return "now()" if abs(offset) <= 60 else f"(now() + interval '{offset} seconds')"
        if v.startswith("{") and v.endswith("}"):
            elems = parse_pg_array(v)
            mapped = [self.value(e, sql) for e in elems]
            if all(m.startswith("'") or m == "NULL" for m in mapped):
                return sql_literal(v)
            return "ARRAY[" + ", ".join(mapped) + "]"
        return sql_literal(v)


def substitute(sql, exprs):
    """Replaces $n by exprs[n] (longest numbers first)."""
    return re.sub(r"\$(\d+)", lambda m: exprs.get(int(m.group(1)), m.group(0)), sql)


def pg_audit_insert(norm, params, resolver):
    """The audit append of k rows as one INSERT whose chain hashes are computed in SQL (a
    recursive CTE over the rows, from the head read just before), returning the new head."""
    cols = re.search(r"INSERT INTO audit_log \(([^)]*)\)", norm).group(1).split(", ")
    arrays = {c: parse_pg_array(params[i + 1]) for i, c in enumerate(cols)}
    clients = arrays["client_id"]
    if len(set(clients)) == 1:
        client_list = "ARRAY[" + resolver.value(clients[0], "INSERT") + "]::uuid[]"
    elif "{" + ",".join(clients) + "}" in resolver.known:
        client_list = ":" + resolver.known["{" + ",".join(clients) + "}"] + "::uuid[]"
    else:
        sys.exit(f"capture: audit rows for clients that are neither the visitor nor their caseload: {clients[:3]}…")
    one = {c: arrays[c][0] for c in cols}
    for c in ("actor_id", "actor_role", "data_kind", "action", "reason"):
        if len(set(arrays[c])) != 1:
            sys.exit(f"capture: audit rows of one request differ in {c}; extend capture.py")
    e = {c: resolver.value(one[c], "INSERT") for c in ("actor_id", "actor_role", "data_kind", "action", "reason")}
    request = resolver.value(one["request_id"], "INSERT")
    row_hash = pg_hash_expr("chain.hash", "chain.seq + 1", "ev.id", "ev.at", "ev.actor_id",
                            "ev.actor_role", "ev.client_id", "ev.data_kind", "ev.action",
                            "ev.request_id", "ev.reason")
    return (
        "WITH RECURSIVE ev AS (\n"
        f"    SELECT u.o, md5(:r::text || '-audit-' || u.o)::uuid AS id, now() AS at, ({e['actor_id']})::uuid AS actor_id,\n"
        f"           ({e['actor_role']})::text AS actor_role, u.c AS client_id, ({e['data_kind']})::text AS data_kind,\n"
        f"           ({e['action']})::text AS action, ({request})::uuid AS request_id, ({e['reason']})::text AS reason\n"
        f"    FROM unnest({client_list}) WITH ORDINALITY AS u(c, o)\n"
        "), chain AS (\n"
        "    SELECT 0::bigint AS o, (:a_seq)::bigint AS seq, NULL::text AS prev_hash, (:a_hash)::text AS hash\n"
        "    UNION ALL\n"
        f"    SELECT ev.o, chain.seq + 1, chain.hash, {row_hash}\n"
        "    FROM chain JOIN ev ON ev.o = chain.o + 1\n"
        "), ins AS (\n"
        f"    INSERT INTO audit_log ({', '.join(cols)})\n"
        "    SELECT chain.seq, ev.id, ev.at, ev.actor_id, ev.actor_role, ev.client_id, ev.data_kind, ev.action,\n"
        "           ev.request_id, ev.reason, chain.prev_hash, chain.hash\n"
        "    FROM chain JOIN ev ON ev.o = chain.o\n"
        "    RETURNING seq, hash\n"
        ")\n"
        "SELECT seq AS a_last_seq, hash AS a_last_hash FROM ins ORDER BY seq DESC LIMIT 1 \\gset"
    )


def pg_replay(kind, statements, resolver):
    """The pgbench script body for one captured request."""
    out = []
    for s in statements:
        sql, params = s["sql"], s["params"]
        norm = " ".join(sql.split())
        if MARK in norm:
            continue
        if norm == "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE":
            out.append(norm + " \\gset a_")
            continue
        if norm.startswith("INSERT INTO audit_log"):
            out.append(pg_audit_insert(norm, params, resolver))
            continue
        m = re.match(r"UPDATE audit_head SET seq = \$(\d+), hash = \$(\d+) WHERE id = 1$", norm)
        if m:
            out.append(substitute(norm, {int(m.group(1)): ":a_last_seq", int(m.group(2)): ":a_last_hash"}) + ";")
            continue
        if norm.startswith("UPDATE audit_head"):
            sys.exit(f"capture: unexpected audit head update: {norm}")
        exprs = {n: resolver.value(v, norm) for n, v in params.items()}
        out.append(substitute(sql.strip(), exprs) + ";")
    return out


def background(kinds, idle):
    """Drops the statements of the server's background tasks (those also seen while idle)
    and, on PostgreSQL, the transactions left empty by that."""
    seen = {" ".join(x["sql"].split()) for x in idle if x["sql"].split()[0].upper() not in ("BEGIN", "COMMIT")}
    seen.add("PRAGMA wal_checkpoint(PASSIVE)")
    out = {}
    for kind, st in kinds.items():
        kept = [x for x in st if " ".join(x["sql"].split()) not in seen and MARK not in x["sql"]]
        # An empty BEGIN … COMMIT of one connection (its statements were background ones).
        word = lambda x: x["sql"].split()[0].upper()
        drop = set()
        for i, x in enumerate(kept):
            if word(x) == "BEGIN":
                for j in range(i + 1, len(kept)):
                    if kept[j].get("pid") == x.get("pid"):
                        if word(kept[j]) == "COMMIT":
                            drop |= {i, j}
                        break
        result = [x for i, x in enumerate(kept) if i not in drop]
        out[kind] = result
    return out


def git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def psql_value(url, sql):
    r = subprocess.run(["psql", url, "-qAtX", "-c", sql], capture_output=True, text=True, check=True)
    return r.stdout.strip()


def derived_values(db, v, url=None, file=None):
    out = {}
    if db == "postgres":
        out["caseload"] = psql_value(url, CASELOAD_SQL.format(
            client=sql_literal(v["client"]) + "::uuid", counselor=sql_literal(v["counselor"]) + "::uuid"))
    for name, q in DERIVED_SQL.items():
        if db == "postgres":
            out[name] = psql_value(url, q.format(client=sql_literal(v["client"]) + "::uuid"))
        else:
            import sqlite3
            con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
            row = con.execute(q.format(client="?"), (v["client"],)).fetchone()
            con.close()
            out[name] = row[0] if row else ""
    return out


def known_values(v, derived):
    known = {v[col]: var for col, var in VISITOR_VARS.items()}
    for name, value in derived.items():
        if value:
            known.setdefault(value, name)
    return known


def cmd_build(a):
    v = read_sessions(a.sessions)[0]
    commit = git_commit()
    if a.db == "postgres":
        statements = parse_pg_log(a.log, a.database_name)
        url = a.pg_url or ""
        derived = derived_values("postgres", v, url=url)
    else:
        statements = parse_sqlx_log(a.log)
        derived = derived_values("sqlite", v, file=a.sqlite_file)
    kinds, seqs = by_kind(statements)
    kinds = background(kinds, kinds.get("idle", []))
    missing = [k for k in KINDS if k not in kinds]
    if missing:
        sys.exit(f"capture: no statements captured for {missing} (markers missing in {a.log})")
    known = known_values(v, derived)
    now = float(a.captured_at) if a.captured_at else time.time()
    for kind in KINDS:
        st = kinds[kind]
        if a.db == "postgres":
            r = Resolver(known, now, "postgres")
            body = pg_replay(kind, st, r)
            head = HEADER.format(what=WHAT[kind], db="PostgreSQL, pgbench -M prepared",
                                 commit=commit, how="log_statement = 'all'")
            text = head + ("\\set i random(1, :visitors)\n\\set r random(1, 1000000000000000)\n"
                           "SELECT " + ", ".join(list(VISITOR_VARS.values()) + list(DERIVED_SQL) + ["caseload"])
                           + " FROM bench_mixed_visitors WHERE n = :i \\gset\n")
            text += "\n".join(body) + "\n"
            path = os.path.join(a.out, f"{kind}.sql")
        else:
            r = Resolver(known, now, "sqlite")
            r.actor = ACTORS[kind]
            body = sqlite_replay(kind, st, r, sqlite_audit_rows(a.sqlite_file, seqs[kind]))
            head = HEADER.format(what=WHAT[kind], db="SQLite, capture.py run-sqlite", commit=commit,
                                 how="the server's sqlx statement log, VENDEPUNKT_LOG=sqlx::query=debug")
            text = head + "\n".join(body) + "\n"
            path = os.path.join(a.out, f"{kind}.sql")
        if r.unresolved:
            print(f"capture: {kind}: values not from the visitor nor fresh (replayed as fresh ids): "
                  f"{r.unresolved}", file=sys.stderr)
        with open(path, "w") as f:
            f.write(text)
        print(f"{kind}: {len([s for s in st if MARK not in s['sql']])} statements -> {path}",
              file=sys.stderr)
    with open(os.path.join(a.out, "actors"), "w") as f:
        for kind in KINDS:
            f.write(f"{kind} {ACTORS[kind]}\n")
    if a.db == "sqlite":
        sqlite_check(a, v, derived)


def cmd_pg_visitors(a):
    """SQL for the visitors table of the pgbench scripts (one row per sampled client)."""
    rows = read_sessions(a.sessions)
    cols = list(VISITOR_VARS.items())
    print("SET client_min_messages = warning;")
    print("DROP TABLE IF EXISTS bench_mixed_visitors;")
    print("CREATE UNLOGGED TABLE bench_mixed_visitors (n integer PRIMARY KEY, "
          + ", ".join(f"{var} text" for _, var in cols)
          + ", office text, organisation text, caseload text);")
    print("INSERT INTO bench_mixed_visitors VALUES")
    vals = []
    for i, v in enumerate(rows, 1):
        vals.append(f"({i}, " + ", ".join(sql_literal(v[c]) for c, _ in cols) + ", NULL, NULL, NULL)")
    print(",\n".join(vals) + ";")
    print("UPDATE bench_mixed_visitors v SET office = c.office_id::text, "
          "organisation = o.organisation_id::text FROM clients c JOIN offices o ON o.id = c.office_id "
          "WHERE c.id = v.client::uuid;")
    print("UPDATE bench_mixed_visitors SET caseload = ("
          + CASELOAD_SQL.format(client="client::uuid", counselor="counselor::uuid") + ");")
    print("ANALYZE bench_mixed_visitors;")


def pg_free_connections(url):
    used = int(psql_value(url, "SELECT count(*) FROM pg_stat_activity"))
    most = int(psql_value(url, "SHOW max_connections"))
    reserved = int(psql_value(url, "SHOW superuser_reserved_connections"))
    return most - reserved - used


def cmd_run_pg(a):
    visitors = int(psql_value(a.url, "SELECT count(*) FROM bench_mixed_visitors"))
    # As many connections as the server has to PostgreSQL at most (its pool), so both sides
    # meet the same contention at the database (more backends than the server's pool only
    # queue on the audit head's row lock and the two cores), and never more than
    # max_connections allows (10 left for everyone else).
    clients = max(1, min(a.clients, a.max_clients, pg_free_connections(a.url) - 10))
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(2, clients)),
           "-T", str(a.seconds), "-D", f"visitors={visitors}"]
    for kind in KINDS:
        cmd += ["-f", f"{os.path.join(a.dir, kind + '.sql')}@{WEIGHTS[kind]}"]
    cmd.append(a.url)
    r = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    if r.returncode != 0 or not m:
        print(r.stdout[-2000:], r.stderr[-2000:], file=sys.stderr)
        print("failed pgbench-failed")
        return
    note = f"{clients}-connections" if clients != a.clients else "-"
    if failed and int(failed.group(1)) > 0:
        note += f",{failed.group(1)}-failed"
    print(f"{float(m.group(1)):.0f} {note}")


# ----- SQLite: the replay files and their loop -----

def sqlite_hash(prev, seq, id_, at_micros, actor, role, client, kind, action, request, reason):
    """domain::audit::row_hash, as the SQLite replay computes it."""
    h = hashlib.sha256()
    for f in [prev, str(seq), id_, str(at_micros), actor, role, client, kind, action, request,
              reason or ""]:
        h.update(f.encode())
        h.update(b"\x1f")
    return h.hexdigest()


def read_replay(path):
    """[(sql, audit-row directives before it)] from a replay file of the SQLite loop."""
    out, directives, buf = [], [], []
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if s.startswith("--@audit-row "):
                directives.append(dict(kv.split("=", 1) for kv in s[len("--@audit-row "):].split("\t")))
                continue
            if s.startswith("--") and not buf:
                continue
            buf.append(s)
            if s.rstrip().endswith(";"):
                out.append(("\n".join(buf).strip().rstrip(";"), directives))
                buf, directives = [], []
    return out


def sqlite_connect(file):
    """A connection set up as the server's (crates/store-sqlite/src/lib.rs): WAL,
    synchronous=FULL, foreign keys, busy timeout 5 s, wal_autocheckpoint 10000; statements are
    run as written (BEGIN / BEGIN IMMEDIATE / COMMIT come from the capture)."""
    import sqlite3
    con = sqlite3.connect(file, isolation_level=None, timeout=5.0, check_same_thread=False,
                          cached_statements=256)
    for p in ["journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
              "busy_timeout = 5000", "wal_autocheckpoint = 10000"]:
        con.execute("PRAGMA " + p)
    return con


def sqlite_bind(value, params):
    """A directive's value: a named parameter (:name) or a literal ('text', NULL, number)."""
    if value.startswith(":"):
        return params[value[1:]]
    if value == "NULL":
        return None
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    return int(value)


def sqlite_transaction(con, statements, params):
    """Runs one captured request's statements; returns how many rows each returned."""
    counts = []
    head = None
    for sql, directives in statements:
        if directives:
            seq, prev = head
            for i, d in enumerate(directives, 1):
                fields = {k: sqlite_bind(v, params) for k, v in d.items() if k not in ("seq", "prev_hash", "hash")}
                params[d["seq"][1:]] = seq + i
                params[d["prev_hash"][1:]] = prev
                prev = sqlite_hash(prev, seq + i, fields["id"], fields["at"], fields["actor_id"],
                                   fields["actor_role"], fields["client_id"], fields["data_kind"],
                                   fields["action"], fields["request_id"], fields.get("reason"))
                params[d["hash"][1:]] = prev
            head = (seq + len(directives), prev)
        cur = con.execute(sql, params)
        rows = cur.fetchall()
        if sql.startswith("SELECT seq, hash FROM audit_head"):
            head = (rows[0][0], rows[0][1])
        counts.append(len(rows))
    return counts


def sqlite_params(v, derived, actor):
    import uuid as uuidlib
    now = time.time_ns() // 1000
    p = {var: v[col] for col, var in VISITOR_VARS.items()}
    p.update(derived)
    p["now"] = now
    p["actor"] = v["counselor"] if actor == "counselor" else v["client_user"]
    p["actor_th"] = v["counselor_token_hash"] if actor == "counselor" else v["client_token_hash"]
    for k in range(1, 100):
        p[f"fresh{k}"] = str(uuidlib.uuid4())
    p["body"] = "Takk, da sees vi på torsdag."
    p["side"] = "counselor" if actor == "counselor" else "client"
    return p


# Which value a SQLite statement's $n stands for, from the column it is compared with or
# assigned to (the sqlx log has the statements but not their values). Checked after the
# build: each statement replayed once must return as many rows as the server's did.
COLUMN_ROLES = {
    "token_hash": "actor_th", "user_id": "actor", "actor_id": "actor", "author_id": "actor",
    "client_id": "client", "office_id": "office", "organisation_id": "organisation",
    "assigned_counselor": "counselor", "counselor_id": "counselor", "thread_id": "thread",
}
ID_ROLES = {"users": "actor", "clients": "client", "threads": "thread", "offices": "office",
            "organisations": "organisation", "sessions": "actor_th"}


def table_aliases(sql):
    out = {}
    for m in re.finditer(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        table, alias = m.group(1), m.group(2)
        out[table] = table
        if alias and alias.upper() not in ("WHERE", "SET", "ON", "JOIN", "LEFT", "INNER", "VALUES",
                                          "ORDER", "GROUP", "LIMIT", "USING", "CROSS"):
            out[alias] = table
    return out


def main_table(sql):
    m = re.search(r"\b(?:FROM|UPDATE|INTO)\s+(\w+)", sql, re.I)
    return m.group(1) if m else ""


PLACEHOLDER = re.compile(r"\$\d+|\?\d*")
# Parameters compared with a constant rather than a column: what the capture's caseload
# sends for a counselor without access to protected clients, asking for their own clients
# (the PostgreSQL capture shows the values; the rows check below confirms them).
FLAG_GUESSES = [(re.compile(r"\(\s*$"), re.compile(r"^\s*= 1 OR protected = 0"), 0),
                (re.compile(r"\(\s*$"), re.compile(r"^\s*= 0 OR assigned_counselor"), 1),
                # the client's own feedback: all of it, not only what is shared
                (re.compile(r"\(\s*$"), re.compile(r"^\s*= 0 OR shared_with_counselor = 1"), 0),
                (re.compile(r"\bLIMIT\s*$", re.I), re.compile(r""), 100),
                # the notice outbox's cursor (a live-event seq): leave it as it is
                (re.compile(r"MAX\(last_seq,\s*$"), re.compile(r""), 0)]


def occurrence_roles(sql):
    """[(start, end, role or None)] for each placeholder of a statement, from the column it is
    compared with or inserted into."""
    out = []
    aliases = table_aliases(sql)
    ins = re.search(r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\(([^)]*)\)",
                    sql, re.I | re.S)
    values_at = {}
    if ins:
        cols = [c.strip() for c in ins.group(2).split(",")]
        pos = ins.start(3)
        for c, x in zip(cols, ins.group(3).split(",")):
            m = PLACEHOLDER.search(x)
            if m:
                values_at[pos + m.start()] = (ins.group(1), c)
            pos += len(x) + 1
    for m in PLACEHOLDER.finditer(sql):
        if m.start() in values_at:
            table, col = values_at[m.start()]
            out.append((m.start(), m.end(), sqlite_role(table, col)))
            continue
        before, after = sql[:m.start()], sql[m.end():]
        role = None
        for b, a_, value in FLAG_GUESSES:
            if b.search(before) and a_.match(after):
                role = f"={value}"
        c = re.search(r"(?:(\w+)\.)?(\w+)\s*(?:=|<=|>=|<|>|<>|!=|\bIN\s*\([^)]*)\s*$", before, re.I)
        if role is None and c:
            alias, col = c.group(1), c.group(2)
            table = aliases.get(alias, alias) if alias else main_table(sql)
            role = sqlite_role(table, col)
        if role is None:
            # CASE WHEN $n = 'client' … : the side of the sender.
            if re.match(r"\s*=\s*'client'", after):
                role = "side"
        out.append((m.start(), m.end(), role))
    return out


def sqlite_role(table, column):
    if column in ("last_message_at", "sent_at", "at", "updated_at", "created_at", "last_seen_at"):
        return "now"
    if column in ("author_side", "last_author_side"):
        return "side"
    if column == "body":
        return "body"
    if column == "kind" and table == "live_events":
        return "'message'"
    if column == "recipient":
        return "client_user"
    if column == "about":
        return "thread"
    if column in COLUMN_ROLES:
        return COLUMN_ROLES[column]
    if column == "id":
        return ID_ROLES.get(table, "fresh1" if table == "messages" else None)
    return None


def sqlite_audit_rows(file, seqs):
    """The audit rows the server wrote between a kind's markers."""
    import sqlite3
    con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute(
        "SELECT * FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq", (seqs[0], seqs[-1]))]
    con.close()
    return rows


def sqlite_check(a, v, derived):
    """Replays each kind once as the captured visitor (its writes are kept: one more message,
    audit rows that `audit verify` checks later) and compares the rows each statement returns
    with what the server's returned."""
    statements = parse_sqlx_log(a.log)
    kinds, _ = by_kind(statements)
    kinds = background(kinds, kinds.get("idle", []))
    con = sqlite_connect(a.sqlite_file)
    problems = 0
    for kind in KINDS:
        script = read_replay(os.path.join(a.out, kind + ".sql"))
        expected = [s["rows_returned"] for s in kinds[kind]]
        params = sqlite_params(v, derived, ACTORS[kind])
        try:
            got = sqlite_transaction(con, script, params)
        except Exception as e:
            print(f"capture check: {kind}: the replay fails: {e}", file=sys.stderr)
            problems += 1
            continue
        finally:
            if con.in_transaction:
                con.execute("ROLLBACK")  # only after a failure
        pairs = [(sql, g) for (sql, _), g in zip(script, got) if sql not in ("BEGIN IMMEDIATE", "COMMIT")]
        got = [g for _, g in pairs]
        for i, (sql, g), e in zip(range(1, 1000), pairs, expected):
            if g != e:
                problems += 1
                print(f"capture check: {kind} statement {i}: {g} rows, the server's {e}: {sql[:100]}",
                      file=sys.stderr)
        if len(got) != len(expected):
            problems += 1
            print(f"capture check: {kind}: {len(got)} statements, the server sent {len(expected)}",
                  file=sys.stderr)
    con.close()
    print(f"capture check (SQLite): {'OK' if problems == 0 else str(problems) + ' PROBLEMS'}: "
          "every replayed statement returns the rows the server's did", file=sys.stderr)


def sqlite_replay(kind, statements, resolver, audit_rows):
    out = []
    is_write = lambda x: (re.match(r"\s*(INSERT|UPDATE|DELETE)\b", x["sql"], re.I)
                          or x["sql"].startswith("SELECT seq, hash FROM audit_head"))
    is_audit = lambda x: x["sql"].startswith("INSERT INTO audit_log")
    # sqlx does not log SQLite's BEGIN / COMMIT: a request's writes are one write transaction
    # (BEGIN IMMEDIATE, as crates/store-sqlite does) from its first write (or audit head
    # read) to its audit append, which ends every use case's transaction; writes after it
    # (the notice outbox reacting to a message) are a transaction of their own.
    begins, commits, open_at, last_write = set(), set(), None, None
    for i, x in enumerate(statements):
        if is_write(x):
            if open_at is None:
                open_at = i
                begins.add(i)
            last_write = i
            nxt = statements[i + 1] if i + 1 < len(statements) else None
            if is_audit(x) and not (nxt and is_audit(nxt)):
                commits.add(i)
                open_at = None
    if open_at is not None:
        commits.add(last_write)
    for i, s in enumerate(statements):
        sql = s["sql"].strip()
        norm = " ".join(sql.split())
        if i in begins:
            out.append("BEGIN IMMEDIATE;")
        if norm.startswith("INSERT INTO audit_log"):
            cols = re.search(r"INSERT INTO audit_log \(([^)]*)\)", norm).group(1).split(", ")
            if not audit_rows:
                sys.exit(f"capture: {kind}: an audit INSERT without its row in audit_log")
            row = audit_rows.pop(0)
            lit = lambda x: "NULL" if x is None else sql_literal(str(x))
            known = lambda x: (":" + resolver.known[x]) if x in resolver.known else lit(x)
            d = {"seq": ":audit_seq", "id": f":fresh{10 + len(audit_rows)}", "at": ":now",
                 "actor_id": known(row["actor_id"]), "actor_role": lit(row["actor_role"]),
                 "client_id": known(row["client_id"]), "data_kind": lit(row["data_kind"]),
                 "action": lit(row["action"]), "request_id": ":fresh9",
                 "reason": lit(row["reason"]), "prev_hash": ":audit_prev", "hash": ":audit_hash"}
            out.append("--@audit-row " + "\t".join(f"{c}={d[c]}" for c in cols))
            exprs = {i + 1: d[c] for i, c in enumerate(cols)}
            out.append(substitute(norm, exprs) + ";")
        else:
            pieces, pos = [], 0
            for start, end, role in occurrence_roles(norm):
                if role is None:
                    resolver.unresolved.append(f"{norm[max(0, start - 40):start]}<?>")
                    role = "fresh1"
                expr = role[1:] if role.startswith("=") else (role if role.startswith("'") else ":" + role)
                pieces.append(norm[pos:start] + expr)
                pos = end
            out.append("".join(pieces) + norm[pos:] + ";")
        if i in commits:
            out.append("COMMIT;")
    return out


# ----- the audit hash check, and the result rows -----

def cmd_check_hash(a):
    """The hash the replay computes (in SQL on PostgreSQL, in Python on SQLite) for the last
    rows the server wrote must equal the hash the server stored (domain::audit::row_hash)."""
    if a.db == "postgres":
        expr = pg_hash_expr("prev_hash", "seq", "id", "at", "actor_id", "actor_role", "client_id",
                            "data_kind", "action", "request_id", "reason")
        out = psql_value(a.url, f"SELECT count(*), count(*) FILTER (WHERE hash <> {expr}) FROM "
                                "(SELECT * FROM audit_log ORDER BY seq DESC LIMIT 200) t")
        rows, wrong = (int(x) for x in out.split("|"))
    else:
        import sqlite3
        con = sqlite3.connect(f"file:{a.url.removeprefix('sqlite://')}?mode=ro", uri=True)
        rows = wrong = 0
        for r in con.execute("SELECT prev_hash, seq, id, at, actor_id, actor_role, client_id, "
                             "data_kind, action, request_id, reason, hash FROM audit_log "
                             "ORDER BY seq DESC LIMIT 200"):
            rows += 1
            wrong += sqlite_hash(*r[:11]) != r[11]
        con.close()
    if rows == 0:
        sys.exit("hash check: no audit rows to check against")
    if wrong:
        sys.exit(f"hash check: the replay's audit hash differs from the server's on {wrong} of "
                 f"{rows} rows; fix pg_hash_expr / sqlite_hash in {__file__}")
    print(f"hash check: the replay's audit hash equals the server's on the last {rows} rows",
          file=sys.stderr)


def cmd_row(a):
    w = dict(kv.split("=") for kv in a.wrk.split()[1:])
    secs = int(w["duration_us"]) / 1e6
    rps = int(w["requests"]) / secs if secs else 0
    errors = sum(int(w[k]) for k in ("bad_status", "connect", "read", "write", "timeout"))
    ratio = "-"
    raw = a.raw
    if raw not in ("-", "failed") and float(raw) > 0:
        ratio = f"{rps / float(raw):.2f}"
    note = "" if a.raw_note in ("-", "") else f" ({a.raw_note.replace('-', ' ').replace(',', ', ')})"
    print(f"| {a.db} | {int(a.clients):,} | {a.conns} | {rps:.0f} | {int(w['p50_us']) / 1000:.2f} | "
          f"{int(w['p99_us']) / 1000:.2f} | {errors} | {raw}{note} | {ratio} | {a.hwm} | {a.load} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("requests")
    r.add_argument("--base", required=True)
    r.add_argument("--sessions", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--server-log", required=True)
    r.add_argument("--url", required=True)
    b = sub.add_parser("build")
    b.add_argument("--db", required=True)
    b.add_argument("--log", required=True)
    b.add_argument("--sessions", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--url", required=True)
    b.add_argument("--captured-at")
    c = sub.add_parser("check-hash")
    c.add_argument("--db", required=True)
    c.add_argument("--url", required=True)
    v = sub.add_parser("pg-visitors")
    v.add_argument("--sessions", required=True)
    g = sub.add_parser("run-pg")
    g.add_argument("--url", required=True)
    g.add_argument("--dir", required=True)
    g.add_argument("--clients", type=int, required=True)
    g.add_argument("--seconds", type=int, required=True)
    g.add_argument("--max-clients", type=int, default=16)
    w = sub.add_parser("row")
    for name in ("db", "clients", "conns", "wrk", "raw", "raw-note", "hwm", "load"):
        w.add_argument("--" + name, required=True)
    a = p.parse_args()
    if a.cmd == "build":
        a.pg_url = a.url if a.db == "postgres" else None
        a.sqlite_file = a.url.removeprefix("sqlite://") if a.db == "sqlite" else None
        a.database_name = a.url.rsplit("/", 1)[-1] if a.db == "postgres" else None
    {"requests": cmd_requests, "build": cmd_build, "check-hash": cmd_check_hash,
     "pg-visitors": cmd_pg_visitors, "run-pg": cmd_run_pg,
     "row": cmd_row}[a.cmd](a)


if __name__ == "__main__":
    main()
