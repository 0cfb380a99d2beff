usage() {
    printf '%s\n' \
        'usage: sh upgrade.sh [--from-wave N]' \
        'Runs the upgrade plan wave by wave; START_WAVE=N does the same as --from-wave N.' \
        'Environment: PLANNER_REMOTE, PLANNER_ASSUME_YES, PLANNER_DRY_RUN, PLANNER_WORKDIR,' \
        'PLANNER_JOURNAL, PLANNER_WAIT_TIMEOUT, PLANNER_POLL_INTERVAL, PLANNER_REPLCHK_HOST,' \
        'PLANNER_DUMPDIR (see the comments at the top of the script).'
}

# fail MESSAGE: stop the script with MESSAGE (the journal records it).
fail() {
    FAILURE=$1
    printf 'error: %s\n' "$1" >&2
    exit 1
}

# journal STEP STATE [MESSAGE]: append `STEP STATE TIME [MESSAGE]` to the journal,
# one line per call, so that an interrupted run loses nothing. A dry run writes none.
journal() {
    [ "${PLANNER_DRY_RUN:-}" = 1 ] && return 0
    _when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    printf '%s %s %s%s\n' "$1" "$2" "$_when" "${3:+ $3}" >>"$JOURNAL" ||
        fail "cannot append to the journal $JOURNAL"
}

# seconds DURATION: DURATION (N, Ns, Nm, Nh or Nd) in seconds.
seconds() {
    _number=${1%[smhd]}
    case $_number in
        '' | *[!0-9]*) return 1 ;;
    esac
    # Leading zeros would make the shell read the number as octal.
    _number=${_number#"${_number%%[!0]*}"}
    _number=${_number:-0}
    case $1 in
        *m) echo $((_number * 60)) ;;
        *h) echo $((_number * 3600)) ;;
        *d) echo $((_number * 86400)) ;;
        *) echo "$_number" ;;
    esac
}

# now_seconds: the time in seconds since 1970 (POSIX awk's srand returns the
# previous seed, which the first call set to the time of day).
now_seconds() {
    awk 'BEGIN { srand(); print srand() }'
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

# replication_check: zmreplchk, run on $REPLCHK_HOST, a server whose ldap_url lists
# every replica and ends with the master (zmreplchk finds the replicas there; on the master
# alone it checks nothing). zmreplchk exits 0 even when a replica is behind, so its
# `Code:` fields are read: 0 is in sync.
replication_check() {
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        run_on "$REPLCHK_HOST" sh -c 'zmlocalconfig ldap_url && PATH=$PATH:$1 && exec zmreplchk' zmreplchk "$LIBEXEC"
        return 0
    fi
    _out=$(run_on "$REPLCHK_HOST" sh -c 'zmlocalconfig ldap_url && PATH=$PATH:$1 && exec zmreplchk' zmreplchk "$LIBEXEC") ||
        fail "zmreplchk failed on $REPLCHK_HOST"
    printf '%s\n' "$_out" | sed 's/^/    /'
    case $_out in
        *Code:*) ;;
        *) fail "zmreplchk on $REPLCHK_HOST reported no replica: its ldap_url must list the replicas and the master (set PLANNER_REPLCHK_HOST to such a server)" ;;
    esac
    if printf '%s\n' "$_out" | grep -Eq 'Code: *[1-9]'; then
        fail "directory replication is not in sync (a zmreplchk Code other than 0 above)"
    fi
}

# health_check HOST: the services of HOST. Zimbra: zmcontrol status, which exits
# non-zero when a service it watches is stopped. Carbonio on systemd (25.6 and later
# on RHEL 9 and Ubuntu 24.04, where zmcontrol is limited): its carbonio units, none of
# them failed (the failed-unit test is this script's; Carbonio's own playbook lists
# the units); elsewhere zmcontrol status.
health_check() {
    if [ "$PLATFORM" = carbonio ]; then
        run_on "$1" sh -c 'if systemctl is-enabled --quiet carbonio.target 2>/dev/null; then
systemctl list-units --no-legend "carbonio*" || exit 1
failed=$(systemctl list-units --no-legend --state=failed "carbonio*") || exit 1
[ -z "$failed" ] || { printf "failed units:\n%s\n" "$failed" >&2; exit 1; }
else exec zmcontrol status; fi'
    else
        run_on "$1" zmcontrol status
    fi
}

# dump_directory HOST: zmslapcat DUMPDIR on HOST (zm-ldap-utilities: writes
# DIR/ldap.bak); zmslapcat exits 0 without writing where slapcat is missing, so the dump
# file is checked. Carbonio asks for a dump before its directory upgrade.
dump_directory() {
    run_on "$1" sh -c 'PATH=$PATH:$1 && mkdir -p -- "$2" && zmslapcat "$2" && test -s "$2"/ldap.bak' zmslapcat "$LIBEXEC" "$DUMPDIR" ||
        fail "the directory dump on $1 failed or wrote nothing in $DUMPDIR"
}

# flush_cos HOST: every server drops its cached classes of service, so that a
# pool change takes effect now rather than when the caches expire (up to 15 minutes;
# ZCS admin guide, "Flush caches").
flush_cos() {
    run_on "$1" zmprov fc -a cos
}

# proxy_purge HOST LIST: the proxies forget the cached routes of the accounts in
# LIST (a file on HOST), which have just switched stores (zmproxypurge -L, ProxyPurgeUtil
# in zm-mailbox; whether the move tools purge the routes themselves is unconfirmed).
proxy_purge() {
    run_on "$1" sh -c 'PATH=$PATH:$1 && exec zmproxypurge -L "$2"' zmproxypurge "$LIBEXEC" "$2"
}

# check_moved HOST LIST: stop unless every `ACCOUNT STORE` line of LIST (a file on
# HOST) names the store the account is homed on (zmprov ga ACCOUNT zimbraMailHost):
# a purge deletes old copies, which both PowerStore and Zimbra's MoveMailbox keep on
# the source after a move.
check_moved() {
    run_on "$1" sh -c 'while read -r a t; do
[ -n "$a" ] || continue
h=$(zmprov ga "$a" zimbraMailHost </dev/null) || { printf "zmprov ga %s failed\n" "$a" >&2; exit 1; }
h=$(printf "%s\n" "$h" | sed -n "s/^zimbraMailHost: //p")
[ "$h" = "$t" ] || { printf "%s is homed on %s, not on %s\n" "$a" "${h:-no store}" "$t" >&2; exit 1; }
done <"$1"' check_moved "$2" ||
        fail "an account moved off $1 is not on its new store (above): its old copy must stay; find out why, then run again from wave $CURRENT_WAVE"
}

# zx_wait HOST: wait until HOST runs no Zextras operation: its PowerStore and Backup
# operation lists (getAllOperations) name no operation id. Zextras commands return
# once their operation is queued. Ids are UUIDs (the form `monitor` takes); the exact
# layout of the list is unconfirmed.
zx_wait() {
    if [ "${PLANNER_DRY_RUN:-}" = 1 ]; then
        printf '    [dry run] wait until %s runs no Zextras operation\n' "$1"
        return 0
    fi
    _deadline=$(($(now_seconds) + WAIT_TIMEOUT))
    while :; do
        _ops=$(run_on "$1" zxsuite powerstore getAllOperations && run_on "$1" zxsuite backup getAllOperations) ||
            fail "could not list the operations running on $1 (zxsuite getAllOperations failed)"
        printf '%s\n' "$_ops" | grep -Eq '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}' || return 0
        if [ "$(now_seconds)" -ge "$_deadline" ]; then
            printf '%s\n' "$_ops" | sed 's/^/    /' >&2
            fail "operations still run on $1 after $WAIT_TIMEOUT seconds (PLANNER_WAIT_TIMEOUT): wait for them or stop them, then run again from wave $CURRENT_WAVE"
        fi
        sleep "$POLL_INTERVAL"
    done
}

# zx_start HOST WORD...: start a Zextras operation on HOST once no other runs there
# (a MailboxMove starts only when no other operation runs on its source).
zx_start() {
    zx_wait "$1"
    run_on "$@"
}

# ne_move SOURCE TARGET LIST: zmmboxmove each account of LIST (a file on SOURCE) from
# SOURCE to TARGET, one after the other; --sync returns when the account has moved.
# Accounts already homed on TARGET (a step run again after a failure) are left alone.
ne_move() {
    run_on "$1" sh -c 'there=$(zmprov sa "zimbraMailHost=$2" </dev/null) || exit 1
while IFS= read -r a || [ -n "$a" ]; do
[ -n "$a" ] || continue
if printf "%s\n" "$there" | grep -Fixq -- "$a"; then printf "%s is already on %s\n" "$a" "$2"; continue; fi
zmmboxmove -a "$a" --from "$1" --to "$2" --sync </dev/null || exit 1
done <"$3"' ne_move "$1" "$2" "$3"
}

# ne_purge HOST LIST: zmpurgeoldmbox each account of LIST (a file on HOST) on HOST.
ne_purge() {
    run_on "$1" sh -c 'while IFS= read -r a || [ -n "$a" ]; do
[ -n "$a" ] || continue
zmpurgeoldmbox -a "$a" -s "$1" </dev/null || exit 1
done <"$2"' ne_purge "$1" "$2"
}

# ne_backup HOST full|incremental: the Network Edition backup of HOST, synchronous;
# where zmbackup is missing (its standard backup was deprecated after 8.8.12), a
# manual step asks for the backup instead.
ne_backup() {
    _found=0
    if [ "${PLANNER_DRY_RUN:-}" != 1 ]; then
        run_on "$1" sh -c 'command -v zmbackup >/dev/null || exit 3' || _found=$?
    fi
    case $_found in
        0 | 3) ;;
        *) fail "could not reach $1 to look for zmbackup (exit status $_found)" ;;
    esac
    if [ "$_found" = 3 ]; then
        manual "$CURRENT_STEP" \
            "zmbackup is not installed on $1: take a $2 backup of every account on $1 with the backup tool of this Zimbra release." \
            'Go on when the backup has finished without errors.'
        return 0
    fi
    case $2 in
        full) run_on "$1" zmbackup -f -a all --sync -s "$1" ;;
        *) run_on "$1" zmbackup -i --sync -s "$1" ;;
    esac
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

# step ID: say which step runs (and where the script stopped, if it fails), and
# journal it as started.
step() {
    if [ "$(journal_state "$1")" = done ]; then
        printf '\n--> %s: done in the journal, skipped\n' "$1"
        return 1
    fi
    CURRENT_STEP=$1
    printf '\n--> %s\n' "$1"
    journal "$1" started
}

# journal_state ID: the state of the journal's last line for ID (started, done,
# failed), or nothing.
journal_state() {
    [ -f "$JOURNAL" ] || return 0
    awk -v id="$1" '$1 == id { state = $2 } END { print state }' "$JOURNAL"
}

# started_here ID: whether this run started step ID and has not finished it (its
# last journal line is `started`; a dry run writes none, so it says yes).
started_here() {
    [ "${PLANNER_DRY_RUN:-}" = 1 ] || [ "$(journal_state "$1")" = started ]
}

# done_step ID: journal the step as done.
done_step() {
    journal "$1" done
    CURRENT_STEP=
}

# wait_for ID HOST: wait until the Zextras operations on HOST, step ID's among them,
# have ended (the step is journaled done after what follows it). It waits one poll
# interval first, so that an operation just queued has time to be listed.
wait_for() {
    CURRENT_STEP=$1
    [ "${PLANNER_DRY_RUN:-}" = 1 ] || sleep "$POLL_INTERVAL"
    zx_wait "$2"
}

CURRENT_WAVE=0
CURRENT_STEP=
FAILURE=
on_exit() {
    if [ "$1" -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
        journal "$CURRENT_STEP" failed "$(printf '%s' "${FAILURE:-exit status $1}" | tr '\n' ' ')" || true
    fi
    if [ "$1" -ne 0 ] && [ "$CURRENT_WAVE" -gt 0 ]; then
        printf '\nStopped in wave %s%s (exit status %s).\n' \
            "$CURRENT_WAVE" "${CURRENT_STEP:+, step $CURRENT_STEP}" "$1" >&2
        printf 'Fix the cause, then go on with: sh %s --from-wave %s\n' "$0" "$CURRENT_WAVE" >&2
    fi
}
trap 'on_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
