//! Stub commands for the script tests: every Zimbra, Zextras and Carbonio
//! command the scripts call, each checking its arguments against the grammar
//! its documentation gives (the source is named above each one) and
//! rejecting a malformed call, and the Zextras and Carbonio operations
//! rejecting a second operation on a store that is still busy.
//!
//! Every call is logged to `$STUB_LOG`: `run NAME`, one `arg` line per
//! argument, one `account` line per line of a list file it reads, then `end`
//! (or `reject REASON` before `end` when the call is refused, with exit 2).
//! The host a command runs on is `$STUB_HOST`, which the `remote` and `ssh`
//! stubs set. State lives under `$STUB_STATE`: `ops/HOST` holds the operation
//! running on a host with the polls left before it ends, `homes/ACCOUNT` (and
//! `homes/@DOMAIN`, names hex-encoded) the store an account last moved to,
//! and `moves` every account move in order, which `zmprov sa` reads.

/// The stub of every product command, dispatching on its own name.
pub const TOOL_STUB: &str = r#"#!/bin/sh
name=${0##*/}
log() { printf '%s\n' "$*" >>"$STUB_LOG"; }
reject() {
    log "reject $*"
    log end
    printf 'stub %s: %s\n' "$name" "$*" >&2
    exit 2
}
{
    printf 'run %s\n' "$name"
    previous=
    for arg in "$@"; do
        printf 'arg %s\n' "$arg"
        case $previous in
            input_file | -L)
                while IFS= read -r line || [ -n "$line" ]; do
                    printf 'account %s\n' "$line"
                done <"$arg"
                ;;
        esac
        previous=$arg
    done
} >>"$STUB_LOG"
host=${STUB_HOST:?the remote stub sets STUB_HOST}
state=${STUB_STATE:?}
mkdir -p "$state/ops" "$state/homes"
# home NAME: the file that holds where NAME (an account, or @DOMAIN) lives; names
# are hex-encoded, since an address may hold a `/`.
home() {
    printf '%s/homes/%s' "$state" "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')"
}

# busy: reject a call while an operation runs on this host.
busy() {
    [ -f "$state/ops/$host" ] && reject "an operation is already running on $host: $(cat "$state/ops/$host")"
    return 0
}
# queue NAME: an operation that ends after STUB_POLLS polls of getAllOperations.
queue() {
    printf '%s %s %s\n' "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" "${STUB_POLLS:-2}" "$1" >"$state/ops/$host"
}
# pairs KEY VALUE...: optional parameters as key/value pairs from a known set.
pairs() {
    known=$1
    shift
    while [ $# -gt 0 ]; do
        case " $known " in
            *" $1 "*) ;;
            *) reject "unknown parameter $1" ;;
        esac
        [ $# -ge 2 ] || reject "parameter $1 has no value"
        case $1 in
            stages)
                for s in $(printf '%s' "$2" | tr ',' ' '); do
                    case $s in blobs | backup | data | account) ;; *) reject "unknown stage $s" ;; esac
                done
                ;;
            deep | ignore_retention | purge_orphan | compress | checkDigest | overwrite | verbose)
                case $2 in true | false) ;; *) reject "$1 takes true or false, not $2" ;; esac
                ;;
        esac
        shift 2
    done
}
# selection ARGS: exactly one of accounts, domains, input_file (the rest are pairs).
selection() {
    n=0
    for a in "$@"; do case $a in accounts | domains | input_file) n=$((n + 1)) ;; esac; done
    [ "$n" -eq 1 ] || reject "a move names exactly one of accounts, domains or input_file"
}
# smartscan ARGS: doSmartScan's arguments (the same for zxsuite and carbonio), on an
# idle host.
smartscan() {
    [ "${1:-}" = start ] || reject "doSmartScan needs the action start"
    shift
    pairs "deep notifications read_error_threshold remote_metadata_upload create_fake_blob" "$@"
    busy
}
# purge ARGS: doPurgeMailboxes' arguments, on an idle host.
purge() {
    [ -n "${1:-}" ] || reject "doPurgeMailboxes needs all or a mailbox id"
    shift
    pairs "ignore_retention purge_orphan notifications" "$@"
    busy
}
# moved TARGET ARGS: record where the accounts or domains of a switching move now live.
moved() {
    target=$1
    shift
    while [ $# -gt 1 ]; do
        case $1 in
            input_file) while IFS= read -r a || [ -n "$a" ]; do
                printf '%s\n' "$target" >"$(home "$a")"
                printf '%s %s\n' "$a" "$target" >>"$state/moves"
            done <"$2" ;;
            domains) for d in $(printf '%s' "$2" | tr ',' ' '); do printf '%s\n' "$target" >"$(home "@$d")"; done ;;
        esac
        shift
    done
}

case $name in
    zxsuite)
        # Zextras Suite CLI reference: zxsuite powerstore doMailboxMove DESTINATION
        # (accounts|domains|input_file) [stages blobs|backup|data|account,...] [notifications ...];
        # zxsuite backup doSmartScan start [deep true|false]; zxsuite powerstore doPurgeMailboxes
        # all|ID [ignore_retention true|false]; zxsuite MODULE getAllOperations [verbose true|false].
        # "The MailboxMove operation can be executed if and only if no others operations are
        # running on the source server."
        case "$1 $2" in
            "powerstore getAllOperations" | "backup getAllOperations")
                shift 2
                pairs "verbose" "$@"
                if [ -f "$state/ops/$host" ]; then
                    read -r id left what <"$state/ops/$host"
                    printf '%s %s\n' "$id" "$what"
                    if [ "$left" -le 1 ]; then rm -f "$state/ops/$host"; else printf '%s %s %s\n' "$id" $((left - 1)) "$what" >"$state/ops/$host"; fi
                fi
                ;;
            "powerstore doMailboxMove")
                shift 2
                [ $# -ge 1 ] && [ -n "$1" ] || reject "doMailboxMove needs a destination host"
                target=$1
                shift
                selection "$@"
                pairs "accounts domains input_file stages notifications compress checkDigest overwrite threads ignore_partial hsm read_error_threshold" "$@"
                busy
                queue doMailboxMove
                case " $* " in *account\ * | *,account*) moved "$target" "$@" ;; esac
                ;;
            "backup doSmartScan")
                shift 2
                smartscan "$@"
                queue doSmartScan
                ;;
            "powerstore doPurgeMailboxes")
                shift 2
                purge "$@"
                queue doPurgeMailboxes
                ;;
            *) reject "unknown command $1 $2" ;;
        esac
        ;;
    carbonio)
        # Carbonio CLI reference: carbonio [--sync] powerstore mailboxMove DESTINATION
        # (accounts|domains|input_file) [notifications ...] (no stages); carbonio [--sync] backup
        # doSmartScan start [deep true|false]; carbonio [--sync] powerstore doPurgeMailboxes all|ID
        # [ignore_retention true|false]. --sync waits for the operation and returns its result.
        sync=
        if [ "$1" = --sync ]; then sync=1; shift; fi
        case "$1 $2" in
            "powerstore mailboxMove")
                shift 2
                [ $# -ge 1 ] && [ -n "$1" ] || reject "mailboxMove needs a destination host"
                target=$1
                shift
                selection "$@"
                pairs "accounts domains input_file notifications blob_destination_volume read_error_threshold compress threads checkDigest overwrite" "$@"
                busy
                moved "$target" "$@"
                ;;
            "backup doSmartScan")
                shift 2
                smartscan "$@"
                ;;
            "powerstore doPurgeMailboxes")
                shift 2
                purge "$@"
                ;;
            *) reject "unknown command $1 $2" ;;
        esac
        # Without --sync the operation is still running when the command returns.
        [ -n "$sync" ] || queue carbonio
        ;;
    zmmboxmove)
        # Usage text of zmmboxmove (Zimbra Network Edition):
        # zmmboxmove -a <email> --from <src> --to <dest> [--sync]; -f/-t are the short forms.
        account= from= to= sync=
        while [ $# -gt 0 ]; do
            case $1 in
                -a | --account) account=${2:-}; shift 2 || reject "-a needs an account" ;;
                -f | --from) from=${2:-}; shift 2 || reject "--from needs a server" ;;
                -t | --to) to=${2:-}; shift 2 || reject "--to needs a server" ;;
                --sync) sync=1; shift ;;
                *) reject "unknown option $1" ;;
            esac
        done
        [ -n "$account" ] && [ -n "$from" ] && [ -n "$to" ] || reject "zmmboxmove needs -a, --from and --to"
        busy
        printf '%s\n' "$to" >"$(home "$account")"
        printf '%s %s\n' "$account" "$to" >>"$state/moves"
        [ -n "$sync" ] || queue zmmboxmove
        ;;
    zmpurgeoldmbox)
        # Usage text of zmpurgeoldmbox: zmpurgeoldmbox -a <account email> [-s <server>].
        [ "${1:-}" = -a ] && [ -n "${2:-}" ] || reject "zmpurgeoldmbox needs -a ACCOUNT"
        account=$2
        shift 2
        server=$host
        if [ $# -gt 0 ]; then
            [ "$1" = -s ] && [ -n "${2:-}" ] && [ $# -eq 2 ] || reject "unknown options $*"
            server=$2
        fi
        home=$(cat "$(home "$account")" 2>/dev/null || true)
        [ -n "$home" ] && [ "$home" != "$server" ] || reject "$account is homed on $server: that is not an old copy"
        ;;
    zmbackup)
        # Zimbra NE admin guide, zmbackup: exactly one of -f, -i or -del; -a ACCOUNT|all;
        # -s SERVER; --sync runs it synchronously.
        kinds=0
        while [ $# -gt 0 ]; do
            case $1 in
                -f | -i) kinds=$((kinds + 1)); shift ;;
                -del) kinds=$((kinds + 1)); shift 2 ;;
                -a | -s) [ -n "${2:-}" ] || reject "$1 needs a value"; shift 2 ;;
                --sync | -z | --zip | --noZip | --zipStore) shift ;;
                *) reject "unknown option $1" ;;
            esac
        done
        [ "$kinds" -eq 1 ] || reject "exactly one of -f, -i or -del"
        ;;
    zmprov)
        # ZCS admin guide, zmprov: sa QUERY; ga ACCOUNT [ATTR...] prints `# name ACCOUNT`
        # then `ATTR: VALUE` lines; fc [-a] TYPE flushes a cache (-a: on every server).
        case ${1:-} in
            sa)
                # The accounts whose last move went to the store, then the test's own.
                store=${2#zimbraMailHost=}
                [ -f "$state/moves" ] && awk -v s="$store" '{ home[$1] = $2 } END { for (a in home) if (home[a] == s) print a }' "$state/moves" | sort
                printf '%s' "${STUB_ZMPROV_OUTPUT:-}"
                ;;
            ga)
                [ -n "${2:-}" ] || reject "ga needs an account"
                home=$(cat "$(home "$2")" 2>/dev/null || cat "$(home "@${2##*@}")" 2>/dev/null || true)
                printf '# name %s\n' "$2"
                [ -z "$home" ] || printf 'zimbraMailHost: %s\n' "$home"
                printf '\n'
                ;;
            fc)
                shift
                [ "${1:-}" != -a ] || shift
                case ${1:-} in
                    account | config | cos | domain | group | server | zimlet | skin | locale | license) ;;
                    *) reject "unknown cache type ${1:-}" ;;
                esac
                ;;
            *) reject "unexpected zmprov command ${1:-}" ;;
        esac
        ;;
    zmcontrol)
        # zmcontrol (zm-core-utils): status lists the services, non-zero when one is stopped.
        [ "$*" = status ] || reject "expected zmcontrol status"
        log end
        case " ${STUB_ZMCONTROL_FAILS_ON:-} " in *" $host "*) exit 3 ;; esac
        exit "${STUB_ZMCONTROL_STATUS:-0}"
        ;;
    zmlocalconfig)
        # zmlocalconfig KEY prints `KEY = VALUE` (ZCS admin guide).
        [ "$*" = ldap_url ] || reject "expected zmlocalconfig ldap_url"
        printf 'ldap_url = ldap://replica:389 ldap://master:389\n'
        ;;
    zmreplchk)
        # zmreplchk (zm-core-utils): run where ldap_url lists every replica and the master.
        [ $# -eq 0 ] || reject "zmreplchk takes no argument"
        case " ${STUB_MASTERS:-} " in *" $host "*) reject "zmreplchk on the master $host checks no replica" ;; esac
        printf 'Replica: ldap://replica:389 Code: %s Status: In Sync\n' "${STUB_REPL_CODE:-0}"
        ;;
    zmslapcat)
        # zmslapcat (zm-ldap-utilities): zmslapcat [-c|-a] DIR writes DIR/ldap.bak.
        [ $# -eq 1 ] && [ -n "$1" ] || reject "expected zmslapcat DIR"
        printf 'dump\n' >"$1/ldap.bak"
        ;;
    zmproxypurge)
        # ProxyPurgeUtil usage: zmproxypurge [-v] [-i] -a account [-L accountlist] [cache...].
        [ "${1:-}" = -L ] && [ -f "${2:-}" ] && [ $# -eq 2 ] || reject "expected zmproxypurge -L FILE"
        ;;
    postqueue)
        # Postfix postqueue(1): -p lists the queue.
        [ "$*" = -p ] || reject "expected postqueue -p"
        ;;
    systemctl)
        # Carbonio systemd guide: carbonio.target; list-units of the carbonio units.
        case $* in
            "is-enabled --quiet carbonio.target") log end; exit "${STUB_SYSTEMD:-1}" ;;
            *) ;;
        esac
        ;;
    *) reject "no stub for $name" ;;
esac
log end
"#;

/// The names the tool stub answers to.
pub const TOOLS: [&str; 13] = [
    "zxsuite",
    "carbonio",
    "zmmboxmove",
    "zmpurgeoldmbox",
    "zmbackup",
    "zmprov",
    "zmcontrol",
    "zmlocalconfig",
    "zmreplchk",
    "zmslapcat",
    "zmproxypurge",
    "postqueue",
    "systemctl",
];

/// `PLANNER_REMOTE`: called as `remote HOST COMMAND`; runs COMMAND here, as
/// HOST.
pub const REMOTE_STUB: &str = r#"#!/bin/sh
[ $# -eq 2 ] || { echo "remote stub: expected HOST COMMAND, got $# arguments" >&2; exit 97; }
printf 'on %s\n' "$1" >>"$STUB_LOG"
STUB_HOST=$1 exec sh -c "$2"
"#;

/// `ssh -- HOST COMMAND`: the login shell on HOST parses COMMAND.
pub const SSH_STUB: &str = r#"#!/bin/sh
[ $# -eq 3 ] && [ "$1" = -- ] || { echo "ssh stub: expected -- HOST COMMAND" >&2; exit 97; }
printf 'on %s\n' "$2" >>"$STUB_LOG"
STUB_HOST=$2 exec "${STUB_SHELL:-sh}" -c "$3"
"#;

/// `su - USER -c COMMAND`: USER's shell parses COMMAND.
pub const SU_STUB: &str = r#"#!/bin/sh
[ $# -eq 4 ] && [ "$1" = - ] && [ "$3" = -c ] || { echo "su stub: expected - USER -c COMMAND" >&2; exit 97; }
printf 'as %s\n' "$2" >>"$STUB_LOG"
exec "${STUB_SHELL:-sh}" -c "$4"
"#;
