-- wrk script of scripts/bench-mixed: a closed-loop mixed load of signed-in users.
--
--   wrk -t T -c C -d D -s mixed.lua URL -- SESSIONS_FILE T
--
-- SESSIONS_FILE is written by `vendepunkt-dev mixed-sessions` (tab-separated, one sampled
-- client and their counselor per line, each with a session). Each wrk thread takes its share
-- of the lines (line i goes to thread i mod T), and every request draws one of its share at
-- random, so the C open connections carry the sessions of many different clients and
-- counselors. The mix, by weight:
--   50  a counselor opens one of their clients      GET  /clients/{id}          (audited)
--   20  a counselor's caseload                      GET  /caseload
--   25  a client's own plan                         GET  /me
--    5  a message sent in the client's thread,     POST /clients/{id}/messages/{thread}
--       half by the client, half by the counselor   (CSRF token of the session)
-- A response counts as good when it is 200, or 303 to the thread for a message; anything
-- else (a redirect to /login, 4xx, 5xx) is counted as an error. At the end one line
-- "MIXED key=value ..." carries the figures for the script (latencies in microseconds).

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local users = {}
-- Read by done() through thread:get, so a global of the thread.
bad = 0

local function split(line)
   local out = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(out, field)
   end
   return out
end

local function urlencode(s)
   return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local bodies = {
   "Takk for sist. Jeg har sendt søknaden og venter på svar.",
   "Kan vi flytte møtet til neste uke? Jeg har fått et intervju på tirsdag.",
   "Jeg har lest planen og er enig i målene. Aktiviteten passer meg fint.",
   "Husk å ta med CV-en til samtalen, så ser vi på den sammen.",
}

function init(args)
   local file, nthreads = args[1], tonumber(args[2] or "1")
   local f = assert(io.open(file, "r"), "cannot open the sessions file " .. tostring(file))
   local header = split(f:read("*l"))
   local col = {}
   for i, name in ipairs(header) do col[name] = i end
   local all = {}
   for line in f:lines() do
      if line ~= "" then
         local v = split(line)
         local cookie = v[col.cookie_name] .. "="
         table.insert(all, {
            client = v[col.client],
            thread = v[col.thread],
            client_cookie = cookie .. v[col.client_cookie],
            client_csrf = v[col.client_csrf],
            counselor_cookie = cookie .. v[col.counselor_cookie],
            counselor_csrf = v[col.counselor_csrf],
         })
      end
   end
   f:close()
   for i, u in ipairs(all) do
      if (i - 1) % nthreads == id then table.insert(users, u) end
   end
   -- Fewer lines than threads: this thread shares them all.
   if #users == 0 then users = all end
   assert(#users > 0, "the sessions file " .. file .. " has no sessions")
   math.randomseed(os.time() * 1000 + id)
end

function request()
   local u = users[math.random(#users)]
   local r = math.random(100)
   if r <= 50 then
      return wrk.format("GET", "/clients/" .. u.client, { Cookie = u.counselor_cookie })
   elseif r <= 70 then
      return wrk.format("GET", "/caseload", { Cookie = u.counselor_cookie })
   elseif r <= 95 then
      return wrk.format("GET", "/me", { Cookie = u.client_cookie })
   end
   local cookie, csrf = u.client_cookie, u.client_csrf
   if math.random(2) == 1 then cookie, csrf = u.counselor_cookie, u.counselor_csrf end
   local body = "csrf_token=" .. urlencode(csrf) .. "&body=" .. urlencode(bodies[math.random(#bodies)])
   return wrk.format("POST", "/clients/" .. u.client .. "/messages/" .. u.thread, {
      Cookie = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"] or ""
   if not (status == 200 or (status == 303 and location:find("/messages/", 1, true))) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local errors = 0
   for _, t in ipairs(threads) do
      errors = errors + (t:get("bad") or 0)
   end
   local e = summary.errors
   print(string.format(
      "MIXED requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d bad_status=%d connect=%d read=%d write=%d timeout=%d",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, errors, e.connect, e.read, e.write, e.timeout))
end
