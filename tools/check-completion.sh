#!/bin/bash
# check-completion.sh JAILTRACE: the bash completion (completions/) offers
# every subcommand, every option of `jailtrace run --help` after "--", a
# program after "run ... --", and the options of the other commands; the
# zsh one parses (zsh -n) where zsh is installed. Exits 1 on a difference.
set -u
jt=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$(dirname "$0")/.." && pwd)/completions
bad=0
# shellcheck source=/dev/null
. "$dir/jailtrace.bash"
complete_line() {	# the words of a command line, the last being completed
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_WORDS[0]=$jt
	_jailtrace
	printf '%s\n' "${COMPREPLY[@]}"
}
got=$(complete_line jailtrace "" | sort | tr '\n' ' ')
[ "$got" = "doctor learn policy replay report run serve version " ] || { echo "check-completion: subcommands: $got"; bad=1; }
want=$("$jt" run --help 2>&1 | grep -oE '^  --[a-z][a-z-]*' | sed 's/^  //' | sort)
got=$(complete_line jailtrace run -- | sort)
[ -n "$want" ] && [ "$want" = "$got" ] || { echo "check-completion: run options differ:"; diff <(echo "$want") <(echo "$got"); bad=1; }
got=$(complete_line jailtrace run --po)
[ "$got" = --policy ] || { echo "check-completion: --po gave: $got"; bad=1; }
got=$(complete_line jailtrace run --audit "")
[ "$(echo $got)" = "decisions full" ] || { echo "check-completion: --audit gave: $got"; bad=1; }
complete_line jailtrace run --ro /tmp -- bas | grep -qx bash || { echo "check-completion: no program after --"; bad=1; }
complete_line jailtrace report -- | grep -qx -- --summary || { echo "check-completion: report lacks --summary"; bad=1; }
complete_line jailtrace policy "" | grep -qx check || { echo "check-completion: policy lacks check"; bad=1; }
if command -v zsh >/dev/null; then
	zsh -n "$dir/_jailtrace" || { echo "check-completion: _jailtrace does not parse in zsh"; bad=1; }
fi
[ $bad = 0 ] && echo "check-completion: bash offers every command and the $(echo "$want" | wc -l) run options; zsh's $(command -v zsh >/dev/null && echo parses || echo 'not checked (no zsh)')"
exit $bad
