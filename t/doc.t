#!/bin/bash
# t/doc.t -- the manual pages stay complete and well-formed.
#
# - every key that "vigie --list-keys" prints is documented as an
#   ".It Cm KEY" item in the KEYS section of man/vigie.conf.5, and every
#   item there is a real key;
# - every check a rule can test is documented in the Checks list of
#   vigie.conf.5, with every result value the parser knows for it;
# - every key set (or shown commented out) in etc/vigie.conf is known, and
#   the shipped file passes "vigie -n";
# - every option in the usage texts of "vigie -h" and "vigie explain -h"
#   is an ".It Fl ..." item of man/vigie.8;
# - both pages are clean under "mandoc -Tlint -Wall" (skipped without mandoc).

. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

MAN8=$srcdir/man/vigie.8
MAN5=$srcdir/man/vigie.conf.5
CONF=$srcdir/etc/vigie.conf

[ -x "$VIGIE" ] || bail "vigie not built: $VIGIE"
for f in "$MAN8" "$MAN5" "$CONF"; do
	[ -r "$f" ] || bail "missing $f"
done

# section FILE NAME: print the lines of the ".Sh NAME" section of FILE.
section() {
	awk -v name="$2" '
		/^\.Sh / { insec = (substr($0, 5) == name); next }
		insec { print }' "$1"
}

# subsection FILE NAME: print the lines of the ".Ss NAME" subsection of FILE.
subsection() {
	awk -v name="$2" '
		/^\.S[hs] / { insec = ($1 == ".Ss" && substr($0, 5) == name); next }
		insec { print }' "$1"
}

# ----------------------------------------------------------------------
# Configuration keys.

keys=$("$VIGIE" --list-keys)
ok $? "vigie --list-keys runs"
nkeys=$(printf '%s\n' "$keys" | grep -c .)
[ "$nkeys" -ge 10 ]
ok $? "vigie --list-keys prints the keys ($nkeys)"

keysec=$(section "$MAN5" KEYS)
[ -n "$keysec" ]
ok $? "vigie.conf.5 has a KEYS section"

# Keys documented in the KEYS section: the word after ".It Cm".
doc_keys=$(printf '%s\n' "$keysec" | awk '$1 == ".It" && $2 == "Cm" { print $3 }' | sort -u)

for k in $keys; do
	printf '%s\n' "$doc_keys" | grep -qxF -- "$k"
	ok $? "key '$k' is documented in vigie.conf.5 (.It Cm $k)"
done

for k in $doc_keys; do
	printf '%s\n' "$keys" | grep -qxF -- "$k"
	ok $? "vigie.conf.5 documents '$k', a key vigie knows"
done

# ----------------------------------------------------------------------
# The rule language: checks and their result values.

checksec=$(subsection "$MAN5" Checks)
[ -n "$checksec" ]
ok $? "vigie.conf.5 has a Checks subsection"

# The checks: those explain reports (every check with result values) plus
# the address-list condition client_net, which has no result values.
# (No system resolver: a closed loopback port answers every lookup with an error at once.)
kvout=$("$VIGIE" explain -c "$CONF" -o resolver=127.0.0.1:9 -o dns_timeout=100ms -o dns_attempts=1 \
	--client 192.0.2.1 --auth a@example.org --from a@example.org --rcpt u@example.org --format=kv)
ok $? "vigie explain --format=kv runs with the shipped configuration"
checks=$(printf '%s\n' "$kvout" | grep '^stage=' | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=.*/\1/p' |
	grep -vxE 'stage|client|helo|from|to|action|rule|code|esc|text|delayed|dry_run' | sort -u)
[ "$(printf '%s\n' "$checks" | grep -c .)" -ge 5 ]
ok $? "explain reports the checks: $(echo $checks)"

for c in $checks client_net; do
	item=$(printf '%s\n' "$checksec" | grep -E "^\.It Cm $c Ns = Ns ")
	[ -n "$item" ]
	ok $? "check '$c' is documented in vigie.conf.5 (.It Cm $c Ns = Ns ...)"
	[ "$c" = client_net ] && continue
	# The parser names the values it knows when given one it does not.
	msg=$("$VIGIE" -n -c "$CONF" -o "rule=rcpt doc-t $c=no-such-value accept" 2>&1)
	known=$(printf '%s\n' "$msg" | sed -n 's/.*(known: \(.*\)).*/\1/p' | tr -d ',')
	[ -n "$known" ]
	ok $? "vigie names the results of check '$c'" || diag "$msg"
	# The values on the item line: ".It Cm relay Ns = Ns Cm local | denied".
	docvals=$(printf '%s\n' "$item" | tr ' ' '\n' | grep -vxE '\.It|Cm|Ns|=|\||' | sed 1d)
	for v in $known; do
		printf '%s\n' "$docvals" | grep -qxF -- "$v"
		ok $? "result '$c=$v' is documented in vigie.conf.5"
	done
done

# ----------------------------------------------------------------------
# The shipped configuration.

# Keys set in the file, and settings shown commented out ("#key value").
used=$(sed -n -e 's/^\([a-z_][a-z_0-9]*\)\([ \t].*\)\{0,1\}$/\1/p' \
	-e 's/^#\([a-z_][a-z_0-9]*\)[ \t].*/\1/p' "$CONF" | sort -u)
[ -n "$used" ]
ok $? "etc/vigie.conf sets keys"
for k in $used; do
	printf '%s\n' "$keys" | grep -qxF -- "$k"
	ok $? "etc/vigie.conf uses '$k', a key vigie knows"
done

out=$("$VIGIE" -n -c "$CONF" 2>&1)
ok $? "etc/vigie.conf passes vigie -n" || diag "$out"

# ----------------------------------------------------------------------
# Command-line options.

# usage_opts TEXT: print "-x" for each option letter and "--word" for each
# long option that the usage text shows.
usage_opts() {
	printf '%s\n' "$1" | grep -oE '(^|[][ |])--?[A-Za-z][A-Za-z-]*' | sed 's/^[][ |]//' |
	while IFS= read -r o; do
		case $o in
		--*) printf '%s\n' "$o" ;;
		*) printf '%s\n' "${o#-}" | grep -o . | sed 's/^/-/' ;;
		esac
	done | sort -u
}

usage=$("$VIGIE" -h 2>&1)
ok $? "vigie -h exits with 0"
like "$usage" '^usage: vigie ' "vigie -h prints the usage"
xusage=$("$VIGIE" explain -h 2>&1)
ok $? "vigie explain -h exits with 0"
like "$xusage" '^usage: vigie explain ' "vigie explain -h prints the usage"

# Option items of vigie.8, with mdoc's escapes removed: ".It Fl \-rcpt" -> "Fl -rcpt"
# (Fl adds one dash: "Fl c" is -c, "Fl -rcpt" is --rcpt).
opt_items=$(grep '^\.It ' "$MAN8" | sed 's/\\//g')
opts=$(usage_opts "$usage
$xusage")
[ "$(printf '%s\n' "$opts" | grep -c .)" -ge 8 ]
ok $? "the usage texts show options: $(echo $opts)"
for o in $opts; do
	printf '%s\n' "$opt_items" | grep -qE -- "Fl ${o#-}( |,|$)"
	ok $? "option $o is documented in vigie.8 (.It Fl ${o#-})"
done

# ----------------------------------------------------------------------
# mandoc lint.

if command -v mandoc >/dev/null 2>&1; then
	for page in "$MAN8" "$MAN5"; do
		# Whether a page that .Xr names is installed depends on the
		# machine, not on our page: ignore that one style message.
		lint=$(mandoc -Tlint -Wall "$page" 2>/dev/null)
		rc=$?
		rest=$(printf '%s\n' "$lint" | grep -v 'referenced manual not found' | grep .)
		printf '%s\n' "$lint" | grep 'referenced manual not found' | while IFS= read -r l; do
			diag "ignored: $l"
		done
		[ "$rc" -le 1 ] && [ -z "$rest" ]
		ok $? "mandoc -Tlint -Wall $(basename "$page") is clean" || diag "$rest"
	done
else
	ok 0 "mandoc -Tlint vigie.8 # SKIP mandoc is not installed"
	ok 0 "mandoc -Tlint vigie.conf.5 # SKIP mandoc is not installed"
fi

done_testing
