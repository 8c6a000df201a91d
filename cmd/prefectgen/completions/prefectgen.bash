# bash completion for prefectgen, printed by 'prefectgen completion bash'.
# Load it with: source <(prefectgen completion bash)
# prefectgen itself answers, so that environments, flows and types complete.

_prefectgen() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	# bash splits --flag=value at "=": after "--env=", complete the value.
	if [[ $cur == "=" ]]; then
		words+=("=")
		cur=""
	fi
	local out
	out=$(command "${COMP_WORDS[0]}" completion __complete "${words[@]}" "$cur" 2>/dev/null) || return 0
	COMPREPLY=()
	local line offer=none
	while IFS= read -r line; do
		case $line in
		:*) offer=${line#:} ;;
		*)
			line=${line%%$'\t'*}
			if [[ $line == *[[:space:]\'\"\\\$\`]* ]]; then
				printf -v line '%q' "$line"
			fi
			COMPREPLY+=("$line")
			;;
		esac
	done <<<"$out"
	case $offer in
	files) compopt -o default 2>/dev/null ;;
	dirs) compopt -o dirnames 2>/dev/null ;;
	esac
	return 0
}

complete -F _prefectgen prefectgen
