usage() {
    printf '%s\n' \
        'usage: sh upgrade.sh [--from-wave N]' \
        'Runs the upgrade plan wave by wave; START_WAVE=N does the same as --from-wave N.' \
        'Environment: PLANNER_REMOTE, PLANNER_ASSUME_YES, PLANNER_DRY_RUN, PLANNER_WORKDIR' \
        '(see the comments at the top of the script).'
}

# fail MESSAGE: stop the script with MESSAGE.
fail() {
    printf 'error: %s\n' "$1" >&2
    exit 1
}

# quote_words WORD...: set REPLY to the words quoted for a POSIX shell, each one
# in single quotes with every ' written as '\'' (correct for any string).
quote_words() {
    REPLY=
    for _word in "$@"; do
        _quoted=
        while :; do
            case $_word in
                *\'*)
                    _head=${_word%%\'*}
                    _quoted=$_quoted$_head\'\\\'\'
                    _word=${_word#*\'}
                    ;;
                *) break ;;
            esac
        done
        REPLY="$REPLY${REPLY:+ }'$_quoted$_word'"
    done
}

# remote_shell HOST WORD...: run the command WORD... on HOST as $MAIL_USER, with
# this function's standard input, and show it on standard error. Every command of the plan goes through here:
# replace this function, or set PLANNER_REMOTE, to reach the servers another way.
# The words are quoted once for the shell that su starts, and that command line
# is quoted once more for the login shell that ssh starts on HOST.
remote_shell() {
    _host=$1
    shift
    quote_words "$@"
    _command=$REPLY
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        printf '    [dry run] on %s: %s\n' "$_host" "$_command"
        return 0
    fi
    printf '    on %s: %s\n' "$_host" "$_command" >&2
    if [ -n "${PLANNER_REMOTE:-}" ]; then
        $PLANNER_REMOTE "$_host" "$_command"
    else
        quote_words "$_command"
        ssh -- "$_host" "su - $MAIL_USER -c $REPLY"
    fi
}

# run_on HOST WORD...: remote_shell with no input, so that ssh never reads what
# is meant for this script.
run_on() {
    remote_shell "$@" </dev/null
}

# put_file HOST FILE: write standard input to FILE on HOST, readable only by
# $MAIL_USER, creating its directory.
put_file() {
    remote_shell "$1" sh -c 'umask 077 && mkdir -p -- "${1%/*}" && cat >"$1"' put_file "$2"
}

# check_empty STORE: stop unless `zmprov sa zimbraMailHost=STORE` prints nothing,
# that is, unless no account is homed on STORE any more.
check_empty() {
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        run_on "$1" zmprov sa "zimbraMailHost=$1"
        return 0
    fi
    _left=$(run_on "$1" zmprov sa "zimbraMailHost=$1") ||
        fail "could not list the accounts homed on $1 (zmprov sa failed)"
    if [ -n "$_left" ]; then
        printf '%s\n' "$_left" | sed 's/^/    /' >&2
        fail "$1 is not empty: the accounts above are still homed on it, so it must not be upgraded. Move them off (or find out why their moves did not switch them), then run again from wave $CURRENT_WAVE."
    fi
    printf '    %s holds no accounts.\n' "$1"
}

# replication_check HOST: zmreplchk, which is not on $MAIL_USER's PATH.
replication_check() {
    run_on "$1" sh -c 'PATH=$PATH:$1 && exec zmreplchk' zmreplchk "$LIBEXEC"
}

# queue_check HOST: the MTA's queue (postqueue -p), which is not on
# $MAIL_USER's PATH either; listing it shows the MTA's queue manager answers.
queue_check() {
    run_on "$1" sh -c 'PATH=$PATH:$1 && exec postqueue -p' postqueue "$SBIN"
}

# manual STEP LINE...: a manual step. Print what to do, then wait until the
# operator types yes (on the terminal, or on standard input when there is no
# terminal); any other answer stops the script.
manual() {
    printf '\n    ==== MANUAL STEP: %s ====\n' "$1"
    shift
    for _line in "$@"; do
        printf '    | %s\n' "$_line"
    done
    if [ "${PLANNER_ASSUME_YES:-}" = 1 ] || [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        printf '    (not waiting: PLANNER_ASSUME_YES or PLANNER_DRY_RUN is set)\n'
        return 0
    fi
    printf '    Type yes when it is done (anything else stops the script): '
    _answer=
    if (true </dev/tty) 2>/dev/null; then
        IFS= read -r _answer </dev/tty || true
    else
        IFS= read -r _answer || true
    fi
    case $_answer in
        yes | YES | Yes | y | Y) ;;
        *) fail "stopped at a manual step of wave $CURRENT_WAVE (answer: '$_answer'). Run again with --from-wave $CURRENT_WAVE to go on." ;;
    esac
}

# wave N ESTIMATE: start wave N; false when it comes before the starting wave.
wave() {
    CURRENT_WAVE=$1
    CURRENT_STEP=
    if [ "$1" -lt "$FROM_WAVE" ]; then
        printf 'Wave %s of %s: skipped (starting at wave %s).\n' "$1" "$TOTAL_WAVES" "$FROM_WAVE"
        return 1
    fi
    printf '\n==== Wave %s of %s%s\n' "$1" "$TOTAL_WAVES" "${2:+ ($2)}"
}

# step ID: say which step runs (and where the script stopped, if it fails).
step() {
    CURRENT_STEP=$1
    printf '\n--> %s\n' "$1"
}

CURRENT_WAVE=0
CURRENT_STEP=
on_exit() {
    if [ "$1" -ne 0 ] && [ "$CURRENT_WAVE" -gt 0 ]; then
        printf '\nStopped in wave %s%s (exit status %s).\n' \
            "$CURRENT_WAVE" "${CURRENT_STEP:+, step $CURRENT_STEP}" "$1" >&2
        printf 'Fix the cause, then go on with: sh %s --from-wave %s\n' "$0" "$CURRENT_WAVE" >&2
    fi
}
trap 'on_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
