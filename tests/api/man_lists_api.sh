#!/bin/sh
# Every function of the public header is in the library man page
# (docs/libaipm.3), in its NAME list and its SYNOPSIS, so a call added to
# aipm.h without its page fails here.
. "$AIPM_TESTLIB"
H="$AIPM_SRC/include/aipm.h"
MAN="$AIPM_SRC/docs/libaipm.3"
names=$(sed -n '/^\.SH NAME/,/^\.SH SYNOPSIS/p' "$MAN")
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$MAN")
n=0
for f in $(sed -n 's/^AIPM_API [^(]*[ *]\(aipm_[a-z0-9_]*\)(.*/\1/p' "$H" | sort -u); do
	n=$((n + 1))
	case "$names" in *"$f"[,\ ]*) ;; *) not_ok "$f is not in libaipm.3's NAME" ;; esac
	case "$synopsis" in *"$f("*) ;; *) not_ok "$f is not in libaipm.3's SYNOPSIS" ;; esac
done
check "aipm.h declares the API ($n functions)" [ "$n" -ge 30 ]
finish
