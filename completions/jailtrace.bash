# bash completion for jailtrace(1). The options are read from the command's
# own --help, so they never fall out of step with it.

_jailtrace_opts() {
	if [ "$1" = run ]; then
		"${COMP_WORDS[0]}" run --help 2>&1 | grep -oE '^  --[a-z][a-z-]*' | sed 's/^  //'
	else
		"${COMP_WORDS[0]}" "$1" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | grep -vx -- --help | sort -u
	fi
}

_jailtrace() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} sub=${COMP_WORDS[1]:-} i
	COMPREPLY=()
	if [ "$COMP_CWORD" = 1 ]; then
		COMPREPLY=($(compgen -W "run doctor policy report replay learn serve version" -- "$cur"))
		return
	fi
	case $sub in
	run)
		# after "--": the program, then its arguments
		for ((i = 2; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = -- ]; then
				if [ $((i + 1)) = "$COMP_CWORD" ]; then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					COMPREPLY=($(compgen -f -- "$cur"))
				fi
				return
			fi
		done
		case $prev in
		--policy|--within|--log|--result|--ro|--rw|--keep|--hosts) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--jail|--cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--audit) COMPREPLY=($(compgen -W "decisions full" -- "$cur")); return ;;
		--user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
		--env) COMPREPLY=($(compgen -v -- "$cur")); return ;;
		--disable)
			COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" doctor 2>/dev/null |
				awk '/^  [a-z_0-9]+ +(yes|no|off) /{print $1}')" -- "$cur"))
			return ;;
		esac
		;;
	policy)
		if [ "$COMP_CWORD" = 2 ]; then
			COMPREPLY=($(compgen -W "default check" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
		;;
	report|replay|learn)
		case $prev in
		--format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
		esac
		;;
	serve)
		case $prev in
		--tokens) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--data|--policies|--grant-root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		esac
		;;
	doctor) ;;
	*) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_jailtrace_opts "$sub")" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _jailtrace jailtrace
