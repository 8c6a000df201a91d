# fish completion for prefectgen, printed by 'prefectgen completion fish'.
# Load it with: prefectgen completion fish | source
# or save it as ~/.config/fish/completions/prefectgen.fish.
# prefectgen itself answers, so that environments, flows and types complete.

function __prefectgen_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l offer none
    for line in (command $words[1] completion __complete $words[2..-1] $cur 2>/dev/null)
        if string match -q -- ':*' $line
            set offer (string sub -s 2 -- $line)
        else
            printf '%s\n' $line
        end
    end
    set -l prefix (string match -r -- '^--[^=]*=' $cur)
    set -l value (string replace -r -- '^--[^=]*=' '' $cur)
    switch $offer
        case files
            for p in (__fish_complete_path $value)
                printf '%s%s\n' "$prefix" $p
            end
        case dirs
            for p in (__fish_complete_directories $value)
                printf '%s%s\n' "$prefix" $p
            end
    end
end

complete -c prefectgen -f -a '(__prefectgen_complete)'
