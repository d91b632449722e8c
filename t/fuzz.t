#!/bin/bash
# t/fuzz.t -- replay the fuzz seeds and saved crash reproducers.
#
# Every file of t/fuzz/corpus/NAME (hand-made seeds) and t/fuzz/regress/NAME
# (inputs that once crashed a target or broke one of its invariants) goes
# through the target's LLVMFuzzerTestOneInput, linked with t/fuzz/replay.c
# instead of libFuzzer, so a regression is caught by any build, clang or
# not.  A target aborts on a broken invariant; under --enable-sanitizers
# ASan and UBSan watch the replay too.  See t/fuzz/README.

. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

for t in addr conf spf dns headers; do
	prog=$builddir/t/fuzz/replay-$t
	[ -x "$prog" ] || bail "not built: $prog"
	dirs=("$srcdir/t/fuzz/corpus/$t")
	[ -d "$srcdir/t/fuzz/regress/$t" ] && dirs+=("$srcdir/t/fuzz/regress/$t")
	nfiles=$(find "${dirs[@]}" -maxdepth 1 -type f ! -name README ! -name '.*' | wc -l)
	[ "$nfiles" -gt 0 ] || bail "no seeds for $t"
	out=$(TMPDIR=$T_TMP "$prog" "${dirs[@]}" 2>"$T_TMP/$t.err")
	st=$?
	if [ $st -ne 0 ]; then
		diag "replay-$t exited with $st; last lines of its stderr:"
		tail -15 "$T_TMP/$t.err" | sed 's/^/#   /'
	fi
	ok $st "replay-$t: every seed and reproducer runs clean"
	is "$out" "replayed $nfiles inputs" "replay-$t ran all $nfiles inputs"
done
# The conf target's temporary directory is removed when it ends.
left=$(find "$T_TMP" -maxdepth 1 -name 'vigie-fuzz-conf.*' | wc -l)
is "$left" 0 "the conf target cleans up its directory"

done_testing
