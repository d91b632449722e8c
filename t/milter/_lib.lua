-- t/milter/_lib.lua -- helpers shared by the miltertest scenario scripts.
--
-- Each scenario script starts with dofile(LIB).  t/milter.t runs the
-- scripts with miltertest(8) and defines these globals with -D:
--   SOCKET   vigie's milter socket, "unix:/path" or "inet:PORT@127.0.0.1"
--   LOGFILE  vigie's log file (log file:/path), read to check the decisions
--   LIB      this file
-- A script prints one line per assertion, "ok - TEXT" or "not ok - TEXT",
-- diagnostics as "# TEXT", and T.done() prints "__END__ N" as its last
-- line so that the runner can tell a script that stopped half-way from one
-- that finished.  The runner numbers the points.
--
-- miltertest shows only the reply command of a stage (SMFIR_CONTINUE,
-- SMFIR_REPLYCODE, ...), not the SMTP code or text of a REPLYCODE before
-- end-of-message; the code and text are checked in vigie's decision log
-- line instead (one line per decision, written before the reply is sent),
-- and on the wire by the raw-protocol checks in t/milter.t.

T = { n = 0, fail = 0, logwait = 1.0 }

local reply_names = {}
for _, k in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
                     "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE",
                     "SMFIR_SKIP" }) do
	if _G[k] ~= nil then reply_names[_G[k]] = k end
end

-- Name of a reply code from mt.getreply(), for diagnostics.
function T.rname(r)
	if r == nil then return "nil" end
	if reply_names[r] then return reply_names[r] end
	if r == 0 then return "no reply yet" end
	return string.format("reply '%s' (%d)", string.char(math.floor(r)), math.floor(r))
end

-- Print diagnostics, one "# " line per line of s.
function T.diag(s)
	if s == nil then return end
	for line in (tostring(s) .. "\n"):gmatch("([^\n]*)\n") do
		print("#   " .. T.printable(line))
	end
end

-- s with every byte outside printable ASCII shown as \xHH.
function T.printable(s)
	return (tostring(s):gsub("[^\32-\126]", function(c)
		return string.format("\\x%02X", c:byte())
	end))
end

-- Record one assertion; diag (a string) is printed when it failed.
function T.ok(cond, desc, diag)
	T.n = T.n + 1
	if cond then
		print("ok - " .. T.printable(desc))
	else
		T.fail = T.fail + 1
		print("not ok - " .. T.printable(desc))
		T.diag(diag)
	end
	return cond
end

-- Stop the script: an error here is a harness or daemon failure.
function T.bail(msg)
	print("# BAIL: " .. T.printable(msg))
	error(msg, 0)
end

-- Last line of every script.
function T.done()
	print("__END__ " .. T.n)
end

-- ---------------------------------------------------------------- log

-- Size of the log file now (the offset new lines will start at).
function T.logpos()
	local f = io.open(LOGFILE, "rb")
	if f == nil then return 0 end
	local n = f:seek("end")
	f:close()
	return n
end

-- Text appended to the log since offset pos.
function T.lognew(pos)
	local f = io.open(LOGFILE, "rb")
	if f == nil then return "" end
	f:seek("set", pos)
	local s = f:read("a")
	f:close()
	return s or ""
end

-- Lines appended since pos that contain every string of pats (plain find).
function T.loglines(pos, pats)
	local found = {}
	for line in T.lognew(pos):gmatch("([^\n]*)\n") do
		local all = true
		for _, p in ipairs(pats) do
			if not line:find(p, 1, true) then all = false; break end
		end
		if all then found[#found + 1] = line end
	end
	return found
end

-- Wait (at most T.logwait seconds) for a line appended since pos that
-- contains every string of pats; return it and the number of such lines,
-- or nil.  After a miss, later waits are short so that a daemon that logs
-- differently does not make the whole run crawl.
function T.logwait_for(pos, pats)
	local waited = 0
	while true do
		local found = T.loglines(pos, pats)
		if #found > 0 then return found[1], #found end
		if waited >= T.logwait then break end
		mt.sleep(0.05)
		waited = waited + 0.05
	end
	T.logwait = 0.2
	return nil, 0
end

-- ------------------------------------------------------------ sessions

-- Open a milter connection and send the connect information.
-- ip: client address text ("192.0.2.10", "2001:db8::5", "unspec");
-- opts.host: client host name (default "client.example.net");
-- opts.macros: flat list of CONNECT-stage macro names and values.
function T.conn(ip, opts)
	opts = opts or {}
	local conn = mt.connect(SOCKET, 40, 0.05)
	if conn == nil then T.bail("mt.connect(" .. SOCKET .. ") failed") end
	if opts.macros and #opts.macros > 0 then
		local err = mt.macro(conn, SMFIC_CONNECT, table.unpack(opts.macros))
		if err ~= nil then T.bail("mt.macro(CONNECT): " .. err) end
	end
	local err = mt.conninfo(conn, opts.host or "client.example.net", ip)
	if err ~= nil then T.bail("mt.conninfo(" .. tostring(ip) .. "): " .. err) end
	return conn
end

-- Macros as Postfix sends them at CONNECT once vigie asked for them.
function T.postfix_connect_macros(ip, name)
	local a = ip
	if ip:find(":", 1, true) then a = "IPv6:" .. ip end
	return { "j", "mx.example.org", "{daemon_name}", "smtpd",
	         "{client_addr}", a, "{client_name}", name or "unknown",
	         "{client_ptr}", name or "unknown" }
end

-- HELO; returns the reply.
function T.helo(conn, name)
	local err = mt.helo(conn, name)
	if err ~= nil then T.bail("mt.helo: " .. err) end
	return mt.getreply(conn)
end

-- MAIL FROM with optional MAIL-stage macros (flat list) and ESMTP
-- parameters (list); returns the reply.
function T.mail(conn, sender, macros, params)
	if macros and #macros > 0 then
		local err = mt.macro(conn, SMFIC_MAIL, table.unpack(macros))
		if err ~= nil then T.bail("mt.macro(MAIL): " .. err) end
	end
	local err = mt.mailfrom(conn, sender, table.unpack(params or {}))
	if err ~= nil then T.bail("mt.mailfrom(" .. sender .. "): " .. err) end
	return mt.getreply(conn)
end

-- Assert that the last reply on conn was SMFIR_CONTINUE.
function T.continued(conn, desc)
	local r = mt.getreply(conn)
	return T.ok(r == SMFIR_CONTINUE, desc, "got " .. T.rname(r))
end

-- Send RCPT TO with args (the path, then ESMTP parameters) and check both
-- the reply and vigie's decision log line.
-- want: "continue", or "CODE X.Y.Z TEXT" where TEXT must appear in the
-- logged reply (e.g. "554 5.7.1 Relay access denied").
-- Returns true when both assertions held.
function T.rcpt(conn, want, desc, args)
	local pos = T.logpos()
	local err = mt.rcptto(conn, table.unpack(args))
	if err ~= nil then
		T.ok(false, desc .. ": RCPT sent", err)
		T.bail("mt.rcptto: " .. err .. " (is vigie still running?)")
	end
	local r = mt.getreply(conn)
	local ok1, ok2
	if want == "continue" then
		ok1 = T.ok(r == SMFIR_CONTINUE, desc .. ": continue",
		           "got " .. T.rname(r))
		local line, n = T.logwait_for(pos, { "RCPT from" })
		ok2 = T.ok(line ~= nil and line:find(": accept: RCPT from", 1, true) ~= nil
		           and n == 1,
		           desc .. ": logged once as accepted",
		           line and (n .. " decision line(s), first: " .. line)
		                or "no RCPT decision line in the log")
	else
		local code, esc, text = want:match("^(%d%d%d) (%d%.%d+%.%d+) ?(.*)$")
		if code == nil then T.bail("bad want: " .. want) end
		ok1 = T.ok(r == SMFIR_REPLYCODE, desc .. ": rejected with a reply code",
		           "got " .. T.rname(r))
		local line, n = T.logwait_for(pos, { "RCPT from" })
		local verb = code:sub(1, 1) == "4" and ": tempfail: RCPT from" or ": reject: RCPT from"
		ok2 = T.ok(line ~= nil
		           and line:find(verb, 1, true) ~= nil
		           and line:find(": " .. code .. " " .. esc .. " ", 1, true) ~= nil
		           and line:find(text, 1, true) ~= nil
		           and n == 1,
		           desc .. ": logged once as " .. want,
		           line and (n .. " decision line(s), first: " .. line)
		                or "no RCPT decision line in the log")
	end
	return ok1 and ok2
end

-- The 554 reply of the default relay-denied rule, and the 501 of rcpt-syntax.
RELAY_DENIED = "554 5.7.1 Relay access denied"
BAD_SYNTAX = "501 5.1.3 Bad recipient address syntax"
