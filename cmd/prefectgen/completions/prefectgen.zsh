#compdef prefectgen
# zsh completion for prefectgen, printed by 'prefectgen completion zsh'.
# Load it with: source <(prefectgen completion zsh)   (after compinit)
# or save it as _prefectgen in a folder of $fpath.
# prefectgen itself answers, so that environments, flows and types complete.

_prefectgen() {
	local -a lines words_ cands descs
	local line word desc offer=none width=0
	words_=("${(@Q)words[2,CURRENT-1]}")
	lines=("${(@f)$(command ${words[1]} completion __complete "${words_[@]}" "${(Q)words[CURRENT]}" 2>/dev/null)}")
	for line in "${lines[@]}"; do
		[[ $line == :* ]] && { offer=${line#:}; continue }
		[[ -n $line ]] || continue
		word=${line%%$'\t'*}
		cands+=("$word")
		(( ${#word} > width )) && width=${#word}
	done
	for line in "${lines[@]}"; do
		[[ $line == :* || -z $line ]] && continue
		word=${line%%$'\t'*}
		desc=""
		[[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
		if [[ -n $desc ]]; then
			descs+=("${(r:width:)word}  -- $desc")
		else
			descs+=("$word")
		fi
	done
	local ret=1
	if (( ${#cands} )); then
		compadd -l -d descs -a cands && ret=0
	fi
	if [[ $offer == files || $offer == dirs ]]; then
		[[ ${words[CURRENT]} == --*=* ]] && compset -P '*='
		if [[ $offer == dirs ]]; then
			_files -/ && ret=0
		else
			_files && ret=0
		fi
	fi
	return ret
}

if [[ $funcstack[1] == _prefectgen ]]; then
	_prefectgen "$@"   # autoloaded from $fpath
else
	compdef _prefectgen prefectgen
fi
