# fish completion for defuse and its sibling programs.  The options come
# from the programs' own --help texts, so they cannot drift from them.
function __defuse_opts
    # argv: the program and, for defuse, the subcommand
    $argv --help 2>/dev/null | string match -ar -- '(?:^|[\s,])(--?[A-Za-z0-9][A-Za-z0-9-]*)' | string match -r -- '^--?[A-Za-z0-9][A-Za-z0-9-]*$' | sort -u
    echo --version
end

set -l __defuse_cmds logs explain scan honeypot help
complete -c defuse -f -n "not __fish_seen_subcommand_from $__defuse_cmds" -a "logs" -d "find Log4Shell-class attempts in logs"
complete -c defuse -f -n "not __fish_seen_subcommand_from $__defuse_cmds" -a "explain" -d "deobfuscate one payload step by step"
complete -c defuse -f -n "not __fish_seen_subcommand_from $__defuse_cmds" -a "scan" -d "inventory log4j/commons-text, CVEs, safe mitigation"
complete -c defuse -f -n "not __fish_seen_subcommand_from $__defuse_cmds" -a "honeypot" -d "tripwire listener capturing callbacks"
complete -c defuse -f -n "not __fish_seen_subcommand_from $__defuse_cmds" -a "help" -d "help of a command"
complete -c defuse -f -n "__fish_seen_subcommand_from help" -a "logs explain scan honeypot"
for sub in logs explain scan honeypot
    complete -c defuse -n "__fish_seen_subcommand_from $sub; and string match -q -- '-*' (commandline -ct)" -a "(__defuse_opts defuse $sub)"
end
complete -c defuse-scan -n "string match -q -- '-*' (commandline -ct)" -a "(__defuse_opts defuse-scan)"
complete -c defuse-honeypot -n "string match -q -- '-*' (commandline -ct)" -a "(__defuse_opts defuse-honeypot)"
complete -c defuse -l color -x -a "auto always never"
complete -c defuse -l kind -x -a "jndi text4shell recursion lookup inert"
