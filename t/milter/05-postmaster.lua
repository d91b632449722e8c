-- t/milter/05-postmaster.lua -- RFC 5321 4.5.1: postmaster of our domains
-- (and the bare <postmaster>) is reachable from any client; postmaster of
-- a foreign domain is not a way to relay.
dofile(LIB)

local function postmaster_session(label, ip)
	local conn = T.conn(ip)
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	for _, r in ipairs({ "<postmaster@example.org>", "<postmaster>",
	                     "<Postmaster@Example.Org>", "<POSTMASTER>",
	                     "<postmaster@example.org.>", "postmaster@example.org" }) do
		T.rcpt(conn, "continue", label .. ": RCPT " .. r, { r })
	end
	T.rcpt(conn, RELAY_DENIED, label .. ": RCPT <postmaster@foreign.example>",
	       { "<postmaster@foreign.example>" })
	T.rcpt(conn, RELAY_DENIED, label .. ": RCPT <postmaster%foreign.example@example.org>",
	       { "<postmaster%foreign.example@example.org>" })
	T.rcpt(conn, BAD_SYNTAX, label .. ": RCPT <postmaster@example.org",
	       { "<postmaster@example.org" })
	mt.disconnect(conn)
end

postmaster_session("untrusted 192.0.2.10", "192.0.2.10")
postmaster_session("untrusted IPv6 2001:db8:2::5", "2001:db8:2::5")

-- Accepted by the postmaster rule, whose name is in the log line.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	local pos = T.logpos()
	mt.rcptto(conn, "<postmaster@example.org>")
	local line = T.logwait_for(pos, { "RCPT from" })
	T.ok(line ~= nil and line:find("rule=postmaster", 1, true) ~= nil,
	     "log: <postmaster@example.org> accepted by rule=postmaster",
	     line or "no decision line")
	mt.disconnect(conn)
end

T.done()
