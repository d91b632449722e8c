-- t/milter/01-stages.lua -- the reply of every stage, and the relay
-- decision for trusted and untrusted IPv4 and IPv6 clients.
-- Test config: trusted_networks 127.0.0.1/32, 2001:db8:1::/48;
-- local_domains example.org; relay_domains backup.example.net.
dofile(LIB)

-- One full session: every stage must continue, the local recipient is
-- accepted, the foreign one gets rcpt_foreign ("continue" or a rejection).
local function session(label, ip, rcpt_foreign, opts)
	local conn = T.conn(ip, opts)
	T.continued(conn, label .. ": CONNECT continues")
	T.helo(conn, "client.example.net")
	T.continued(conn, label .. ": HELO continues")
	T.mail(conn, "<sender@client.example.net>")
	T.continued(conn, label .. ": MAIL continues")
	T.rcpt(conn, "continue", label .. ": RCPT <user@example.org>",
	       { "<user@example.org>" })
	T.rcpt(conn, "continue", label .. ": RCPT <user@backup.example.net>",
	       { "<user@backup.example.net>" })
	T.rcpt(conn, rcpt_foreign, label .. ": RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

session("untrusted 192.0.2.10", "192.0.2.10", RELAY_DENIED)
session("trusted 127.0.0.1", "127.0.0.1", "continue")
session("trusted IPv6 2001:db8:1::5", "2001:db8:1::5", "continue")
session("untrusted IPv6 2001:db8:2::5", "2001:db8:2::5", RELAY_DENIED)

-- Edges of the trusted networks.
session("untrusted 127.0.0.2 (outside 127.0.0.1/32)", "127.0.0.2", RELAY_DENIED)
session("trusted IPv6 2001:db8:1:ffff::1 (end of the /48)",
        "2001:db8:1:ffff::1", "continue")
session("untrusted IPv6 2001:db8:0:ffff::1 (just below the /48)",
        "2001:db8:0:ffff::1", RELAY_DENIED)
session("untrusted IPv4-mapped ::ffff:192.0.2.10", "::ffff:192.0.2.10",
        RELAY_DENIED)
session("untrusted our own address 192.0.2.25", "192.0.2.25", RELAY_DENIED)

-- The same with the macros Postfix sends at CONNECT ({client_addr} of an
-- IPv6 client arrives as "IPv6:2001:db8:...").
session("untrusted 192.0.2.10, Postfix macros", "192.0.2.10", RELAY_DENIED,
        { macros = T.postfix_connect_macros("192.0.2.10") })
session("trusted 127.0.0.1, Postfix macros", "127.0.0.1", "continue",
        { host = "localhost", macros = T.postfix_connect_macros("127.0.0.1", "localhost") })
session("trusted IPv6 2001:db8:1::5, Postfix macros", "2001:db8:1::5", "continue",
        { macros = T.postfix_connect_macros("2001:db8:1::5") })
session("untrusted IPv6 2001:db8:2::5, Postfix macros", "2001:db8:2::5",
        RELAY_DENIED, { macros = T.postfix_connect_macros("2001:db8:2::5") })

-- The exact reply text of the relay rule, seen in the log line.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	local pos = T.logpos()
	mt.rcptto(conn, "<user@foreign.example>")
	local line = T.logwait_for(pos, { "RCPT from" })
	T.ok(line ~= nil and line:find(
	         ": 554 5.7.1 <user@foreign.example>: Relay access denied;", 1, true) ~= nil,
	     "log: reply text is '554 5.7.1 <user@foreign.example>: Relay access denied'",
	     line or "no decision line")
	T.ok(line ~= nil and line:find("NOQUEUE: reject: RCPT from client.example.net[192.0.2.10]: ", 1, true) ~= nil,
	     "log: 'NOQUEUE: reject: RCPT from client.example.net[192.0.2.10]: '",
	     line or "no decision line")
	for _, kv in ipairs({ "from=<sender@client.example.net>",
	                      "to=<user@foreign.example>",
	                      "helo=<client.example.net>", "rule=relay-denied" }) do
		T.ok(line ~= nil and line:find(kv, 1, true) ~= nil,
		     "log: decision line has " .. kv, line or "no decision line")
	end
	mt.disconnect(conn)
end

T.done()
