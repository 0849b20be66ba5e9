# bash completion for defuse, defuse-scan and defuse-honeypot.
# The options come from the programs' own --help texts (as bash-completion's
# _longopt does), so they cannot drift from the programs; file names are
# completed for every other word, and the values of the options below.
_defuse_opts() {
    # $1: the program; $2: the subcommand ("" for the sibling programs)
    "$1" ${2:+"$2"} --help 2>/dev/null |
        grep -oE '(^|[[:space:],])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[[:space:],]*//' |
        sort -u
}

_defuse() {
    local cur prev words cword
    _init_completion -s 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    }
    local prog=${words[0]} sub=
    case ${prog##*/} in
        defuse-scan) sub=scan ;;
        defuse-honeypot) sub=honeypot ;;
        *)
            if [ "$cword" -eq 1 ]; then
                COMPREPLY=($(compgen -W "logs explain scan honeypot help --help --version" -- "$cur"))
                return
            fi
            sub=${words[1]}
            ;;
    esac
    case $prev in
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --kind)  COMPREPLY=($(compgen -W "jndi text4shell recursion lookup inert" -- "$cur")); return ;;
        -c|--config|-f|--file|-o|--output|--vulndb)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --backup-dir|--restore)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        -j|--jobs|--threads|--max-line|--max-depth|--max-expanded|--max-ratio|--timeout)
            return ;;
    esac
    if [ "$sub" = help ]; then
        COMPREPLY=($(compgen -W "logs explain scan honeypot" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        local p=$prog s=$sub
        [ "${prog##*/}" = defuse ] || s=
        COMPREPLY=($(compgen -W "$(_defuse_opts "$p" "$s") --version" -- "${cur%%=*}"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _defuse defuse defuse-scan defuse-honeypot
