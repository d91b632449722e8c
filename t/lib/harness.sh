# t/lib/harness.sh -- shared shell helpers for vigie's TAP tests.
# Source it from a test script:  . "$srcdir/t/lib/harness.sh"
# Provides: TAP output, a private temporary directory removed at exit,
# free loopback ports, and starting/stopping vigie by PID.

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${builddir:=$(pwd)}"
VIGIE=${VIGIE:-$builddir/milter/vigie}

T_N=0
T_FAILED=0
T_PIDS=""
T_CLEANUPS=""

# ok COND-EXIT-STATUS DESCRIPTION: record a test point from $? of the last command.
ok() { _st=$1; shift; T_N=$((T_N + 1));
	if [ "$_st" -eq 0 ]; then echo "ok $T_N - $*"; else echo "not ok $T_N - $*"; T_FAILED=$((T_FAILED + 1)); fi; }
# is GOT WANT DESCRIPTION
is() { if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1'"; echo "#  want: '$2'"; fi; }
# like GOT REGEX DESCRIPTION (extended regex)
like() { if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1'"; echo "#  want match: '$2'"; fi; }
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }

# at_exit CMD: run CMD (a string) when the script exits, last registered first.
at_exit() { T_CLEANUPS="$1
$T_CLEANUPS"; }
_t_cleanup() {
	_rc=$?
	printf '%s\n' "$T_CLEANUPS" | while IFS= read -r _c; do [ -n "$_c" ] && eval "$_c" >/dev/null 2>&1; done
	for _p in $T_PIDS; do kill "$_p" 2>/dev/null; done
	for _p in $T_PIDS; do _i=0; while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i+1)); done; kill -9 "$_p" 2>/dev/null; done
	[ -n "${T_TMP:-}" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$T_TMP"
	exit $_rc
}
trap _t_cleanup EXIT
trap 'exit 1' INT TERM HUP

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigie-test.XXXXXX") || bail "mktemp failed"
chmod 755 "$T_TMP"

# free_port: print a TCP port on 127.0.0.1 nobody listens on now, below the
# kernel's ephemeral range (32768 and up), so no outgoing connection takes it
# between the pick and the bind.
free_port() {
	_i=0
	while [ $_i -lt 200 ]; do
		_p=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12768 ) ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
			case " $T_PORTS_USED " in *" $_p "*) ;; *) T_PORTS_USED="$T_PORTS_USED $_p"; echo "$_p"; return 0;; esac
		fi
		_i=$((_i + 1))
	done
	return 1
}
T_PORTS_USED=""

# wait_port PORT [TRIES]: wait until something listens on 127.0.0.1:PORT.
wait_port() {
	_i=0
	while [ $_i -lt "${2:-100}" ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# start_vigie CONF LOGFILE [extra args]: start vigie in the foreground mode,
# in the background, on the socket named in CONF (use inet:PORT@127.0.0.1);
# sets VIGIE_PID.  Its stderr goes to LOGFILE.
start_vigie() {
	_conf=$1; _log=$2; shift 2
	"$VIGIE" -f -c "$_conf" "$@" >>"$_log" 2>&1 &
	VIGIE_PID=$!
	T_PIDS="$T_PIDS $VIGIE_PID"
}

# no_sanitizer_report FILE DESCRIPTION: a test point that FILE (a vigie's
# stderr) holds no sanitizer report (ASan, LeakSanitizer, UBSan's "runtime
# error", TSan); the report is shown when there is one.
no_sanitizer_report() {
	if grep -aqiE 'sanitizer|runtime error' "$1" 2>/dev/null; then
		ok 1 "$2"
		grep -aiE -A5 'sanitizer|runtime error' "$1" | head -40 | sed 's/^/#   /'
	else
		ok 0 "$2"
	fi
}

# stop_vigie: SIGTERM the vigie started last and wait for it (libmilter may take seconds).
stop_vigie() {
	[ -n "${VIGIE_PID:-}" ] || return 0
	kill "$VIGIE_PID" 2>/dev/null
	_i=0; while kill -0 "$VIGIE_PID" 2>/dev/null && [ $_i -lt 150 ]; do sleep 0.1; _i=$((_i+1)); done
	kill -9 "$VIGIE_PID" 2>/dev/null
	wait "$VIGIE_PID" 2>/dev/null
	VIGIE_STATUS=$?
	VIGIE_PID=""
	return 0
}
