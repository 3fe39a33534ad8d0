#!/bin/bash
# check-man.sh JAILTRACE: the man pages (man/) are well-formed (groff warns of
# nothing) and in step with the command: every option `jailtrace run --help`
# lists is in jailtrace(1) and every option there is one it lists; every
# subcommand of `jailtrace --help`, and every option of their own --help, is
# in jailtrace(1). Prints what differs and exits 1, or one line and exits 0.
set -u
jt=$1
dir=$(cd "$(dirname "$0")/.." && pwd)/man
bad=0
for page in "$dir"/*.[0-9]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l "$page" 2>&1 >/dev/null)
	if [ -n "$w" ]; then
		echo "check-man: $(basename "$page"): $w"
		bad=1
	fi
	grep -q '^\.SH NAME' "$page" || { echo "check-man: $(basename "$page") has no NAME section"; bad=1; }
done
page=$dir/jailtrace.1
# run's options, in --help (at a line's start) and in the page's OPTIONS section
help=$("$jt" run --help 2>&1 | grep -oE '^  --[a-z][a-z-]*' | sed 's/^  //' | sort -u)
man=$(sed -n '/^\.SH OPTIONS/,/^\.SH EXIT STATUS/p' "$page" | grep -E '^\.(B|BI|BR) ' |
	grep -oE '^\.[A-Z]+ \\-\\-[a-z][a-z\\-]*' | sed -e 's/^\.[A-Z]* //' -e 's/\\-/-/g' | sort -u)
for o in $(comm -23 <(echo "$help") <(echo "$man")); do
	echo "check-man: jailtrace.1 lacks the run option $o"
	bad=1
done
for o in $(comm -13 <(echo "$help") <(echo "$man")); do
	echo "check-man: jailtrace.1 names $o, which jailtrace run --help does not list"
	bad=1
done
# subcommands, and their own options
for c in $("$jt" --help 2>&1 | grep -oE '^  [a-z]+' | sort -u); do
	grep -qE "^\.B jailtrace $c\b" "$page" || { echo "check-man: jailtrace.1 lacks the command $c in SYNOPSIS"; bad=1; }
	[ "$c" = run ] && continue
	for o in $("$jt" "$c" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page" ||
			{ echo "check-man: jailtrace.1 lacks $c's option $o"; bad=1; }
	done
done
[ $bad = 0 ] && echo "check-man: $(ls "$dir" | wc -l) pages well-formed; jailtrace.1 has the $(echo "$help" | wc -l) run options of --help and every command's options"
exit $bad
