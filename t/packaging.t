#!/bin/bash
# t/packaging.t -- the packaging files agree with the code, without building
# a package (tools/packages does that): versions, build dependencies, the
# files the packages install, and the systemd unit (systemd-analyze verify,
# on a copy that runs the vigie under test).  About a second.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"

[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
for f in debian/control debian/changelog debian/rules vigie.spec etc/vigie.service; do
	[ -f "$srcdir/$f" ] || bail "$f is missing from $srcdir"
done
UNIT=$srcdir/etc/vigie.service
SPEC=$srcdir/vigie.spec

# unit_key KEY: the values of KEY= in the unit, one per line.
unit_key() { sed -n "s/^$1=//p" "$UNIT"; }

# --- One version everywhere --------------------------------------------------
version=$("$VIGIE" -V | sed -n 's/^vigie //p')
like "$version" '^[0-9]+(\.[0-9]+)+' "vigie -V prints a version ($version)"
is "$(sed -n '1s/^vigie (\([^)]*\)-[^-)]*).*/\1/p' "$srcdir/debian/changelog")" "$version" \
	"debian/changelog's first entry is for this version"
is "$(sed -n 's/^Version:[[:space:]]*//p' "$SPEC")" "$version" "vigie.spec's Version: is this version"

# --- Build dependencies: each library configure.ac asks for -------------------
# configure.ac names the Debian package of each library in its error message.
need=$(grep -o 'install the Debian package [a-z0-9.+-]*' "$srcdir/configure.ac" | awk '{ print $5 }' | sort -u)
[ -n "$need" ]
ok $? "configure.ac names the Debian packages it needs: ${need//$'\n'/ }"
# The Build-Depends field (with its continuation lines), one package a line.
bdeps=$(awk '/^Build-Depends:/ { f = 1; sub(/^Build-Depends:/, ""); print; next }
	f && /^[ \t]/ { print; next } { f = 0 }' "$srcdir/debian/control" |
	tr ',' '\n' | sed 's/(.*//; s/\[.*//; s/[[:space:]]//g')
missing=""
for p in $need; do
	printf '%s\n' "$bdeps" | grep -Fqx -- "$p" || missing="$missing $p"
done
is "$missing" "" "debian/control Build-Depends on each of them"

# --- What the packages install ------------------------------------------------
missing=""
while read -r from _; do
	[ -n "$from" ] && [ ! -e "$srcdir/$from" ] && missing="$missing $from"
done <"$srcdir/debian/vigie.install"
is "$missing" "" "every file of debian/vigie.install is in the source"
[ -x "$srcdir/debian/rules" ]
ok $? "debian/rules is executable"
sh -n "$srcdir/debian/vigie.postinst" && sh -n "$srcdir/debian/vigie.postrm"
ok $? "the maintainer scripts parse"
missing=""
# shellcheck disable=SC2013 # the names are words of one line
for m in $(sed -n 's/^dist_man_MANS *= *//p' "$srcdir/Makefile.am"); do
	page=$(basename "$m")
	grep -Fq "%{_mandir}/man${page##*.}/$page*" "$SPEC" || missing="$missing $page"
done
is "$missing" "" "vigie.spec's %files has every man page of Makefile.am"

# --- The systemd unit ----------------------------------------------------------
start=$(unit_key ExecStart)
like "$start" '^/usr/sbin/vigie ' "ExecStart runs /usr/sbin/vigie"
case " $start " in *" -f "*) fg=1 ;; *) fg="" ;; esac
if [ "$(unit_key Type)" = forking ]; then
	is "$fg" "" "Type=forking: vigie detaches (no -f)"
	pid=$(unit_key PIDFile)
	like "$start" " -o pidfile=$pid( |\$)" "ExecStart sets the PID file that PIDFile= names ($pid)"
else
	is "$(unit_key Type)/$fg" "simple/1" "Type=simple: vigie stays in the foreground (-f)"
fi
# Root without CAP_KILL cannot signal vigie once it is its own user: then
# kill must run outside the sandbox ("+").
# shellcheck disable=SC2016 # regular expressions
case " $(unit_key CapabilityBoundingSet) " in
*" CAP_KILL "*) want='^[+]?/bin/kill -HUP \$MAINPID$' ;;
*) want='^[+]/bin/kill -HUP \$MAINPID$' ;;
esac
like "$(unit_key ExecReload | tail -n 1)" "$want" "ExecReload sends SIGHUP, outside the sandbox unless it keeps CAP_KILL"
# shutdown_timeout's default, from the key table of lib/conf.c.
shutdown=$(sed -n 's/.*{ *"shutdown_timeout",.*"\([0-9][0-9]*\)" *}.*/\1/p' "$srcdir/lib/conf.c")
stop=$(unit_key TimeoutStopSec)
[ -n "$shutdown" ] && [ "${stop:-0}" -gt $((shutdown + 10)) ]
ok $? "TimeoutStopSec=$stop exceeds shutdown_timeout ($shutdown s) + 10 s for libmilter"
rundir=$(unit_key RuntimeDirectory)
conf_socket=$(sed -n 's/^socket[[:space:]]\{1,\}//p' "$srcdir/etc/vigie.conf")
conf_pid=$(sed -n 's/^pidfile[[:space:]]\{1,\}//p' "$srcdir/etc/vigie.conf")
like "$conf_socket" "^unix:/run/$rundir/[^/]+\$" "the shipped socket ($conf_socket) is in RuntimeDirectory=$rundir"
like "${pid:-$conf_pid}" "^/run/$rundir/[^/]+\$" "the PID file is in RuntimeDirectory=$rundir"

if command -v systemd-analyze >/dev/null 2>&1; then
	# A copy that runs the vigie under test, and man pages where man finds them.
	mkdir -p "$T_TMP/unit"
	for m in "$srcdir"/man/*.[0-9]; do
		mkdir -p "$T_TMP/man/man${m##*.}" && ln -s "$m" "$T_TMP/man/man${m##*.}/"
	done
	sed "s#/usr/sbin/vigie#$VIGIE#g" "$UNIT" >"$T_TMP/unit/vigie.service"
	verify=$(MANPATH=$T_TMP/man systemd-analyze verify "$T_TMP/unit/vigie.service" 2>&1)
	rc=$?
	is "$rc:$verify" "0:" "systemd-analyze verify: no complaint"
else
	T_N=$((T_N + 1)); echo "ok $T_N # SKIP systemd-analyze not installed (Debian package systemd)"
fi
done_testing
