# bash completion for arus(1): verbs, their options, and pipeline / source names read from the
# config file (-c FILE, $ARUS_CONFIG or ./arus.yml). Installed as
# share/bash-completion/completions/arus.

# Names under a top-level section of the config ("pipelines" or "sources"): keys indented two
# spaces below the section line. Enough for the usual layout; no YAML parser needed here.
_arus_config_names()
{
    local section=$1 cfg=${ARUS_CONFIG:-arus.yml} i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -c || ${COMP_WORDS[i]} == --config ]]; then
            cfg=${COMP_WORDS[i + 1]}
        fi
    done
    [[ -r $cfg ]] || return
    awk -v s="$section:" '
        /^[^ #]/ { inside = ($1 == s) ; next }
        inside && /^  [^ #-][^:]*:/ { sub(/^  /, ""); sub(/:.*/, ""); print }' "$cfg"
}

_arus()
{
    local cur prev verb i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local verbs="connectors check discover sync state runs reset dead-letters"
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --config | --log-format) ((i++)) ;;
            -*) ;;
            *) verb=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
        -c | --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        --table | --from | --limit | --pipeline)
            [[ $prev == --pipeline ]] &&
                COMPREPLY=($(compgen -W "$(_arus_config_names pipelines)" -- "$cur"))
            return ;;
    esac
    if [[ -z $verb ]]; then
        COMPREPLY=($(compgen -W "$verbs -c --config --json -v -q --log-format --help --version" \
            -- "$cur"))
        return
    fi
    local opts
    case $verb in
        sync) opts="--table --full-refresh --from --json" ;;
        state) opts="--json" ;;
        runs) opts="--limit --json" ;;
        reset) opts="--table --yes --json" ;;
        dead-letters) opts="--table --replay --json" ;;
        discover) opts="--schemas --pipeline --json" ;;
        *) opts="--json" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $verb == discover ]]; then
        COMPREPLY=($(compgen -W "$(_arus_config_names sources)" -- "$cur"))
    elif [[ $verb =~ ^(sync|state|runs|reset|dead-letters)$ ]]; then
        COMPREPLY=($(compgen -W "$(_arus_config_names pipelines)" -- "$cur"))
    fi
}
complete -F _arus arus
