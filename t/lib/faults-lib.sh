# t/lib/faults-lib.sh -- helpers shared by t/faults-dns.t and t/faults-mta.t.
# Source after t/lib/harness.sh.
#
#   faults_raw_client   check that the raw milter-protocol client
#                       (t/lib/raw-milter.pl, shared with t/milter.t) runs;
#                       $FAULTS_RAW names it.
#   raw_session SOCKINFO IP HELO SENDER RCPT
#                       one session: CONNECT (client IP), HELO, MAIL, RCPT,
#                       QUIT.  Sets RAW_OUT (the client's output), RAW_RCPT
#                       (the answer to RCPT: c, "y CODE TEXT", eof, timeout)
#                       and RAW_MS (the session's duration, milliseconds).
#   now_ms              milliseconds since the epoch.
#   fd_count PID        open file descriptors of PID.
#   thread_count PID    threads of PID.

FAULTS_RAW=${srcdir:?}/t/lib/raw-milter.pl

faults_raw_client() {
	perl -c "$FAULTS_RAW" >/dev/null 2>&1
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# shellcheck disable=SC2034 # RAW_* are for the caller
raw_session() {
	_si=$1 _ip=$2 _helo=$3 _from=$4 _rcpt=$5
	_t0=$(now_ms)
	RAW_OUT=$(printf 'neg\nconn\t%s\t4\t40025\t%s\nhelo\t%s\nmail\t<%s>\nrcpt\t<%s>\nquit\n' \
		"client.example.net" "$_ip" "$_helo" "$_from" "$_rcpt" | perl "$FAULTS_RAW" "$_si" 2>&1)
	RAW_MS=$(( $(now_ms) - _t0 ))
	RAW_RCPT=$(printf '%s\n' "$RAW_OUT" | sed -n 's/^rcpt //p' | head -1)
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l | tr -d ' '; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
