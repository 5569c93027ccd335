#!/bin/sh
# install.sh: puts one-pci on an OpenNebula front-end or on a KVM host, and takes it off again.
#
#   ./install.sh [--remotes DIR] [--bin DIR] [--dry-run] [--force] [--uninstall]   front-end, as root
#     (--remotes: /var/lib/one/remotes; --bin: where the one-pci command goes, /usr/bin)
#   ./install.sh --host [--root DIR] [--jar FILE] [--dry-run] [--force] [--uninstall]   KVM host, as root
#
# --force: install although the probe rejects the resulting pci.conf (front-end); uninstall
# although domains still hold devices, releasing them first (host). --root DIR must exist.
#
# Front-end: the launcher and the jar go into DIR/im/kvm-probes.d/host/system/, the stock pci.rb
# moves to DIR/im/kvm-probes.d/host/one-pci-stock/ (not executable: the launcher's fallback), the
# site's DIR/etc/im/kvm-probes.d/pci.conf is kept and only gets the keys it lacks; the front-end's
# one-pci command (frontend/one-pci, with host/java.sh copied in) goes to /usr/bin, root's, and runs
# that jar as whoever types it.
# Host: a root-owned copy of the jar and of host/java.sh (where Java is, which JVM flags) in
# /usr/lib/one-pci/, the only jar the hook runs (from the checkout's build, or --jar FILE), with a
# class-data archive of it made there by the Java java.sh finds (host/java.sh says how); the
# one-pci command as /usr/sbin/one-pci; the libvirt QEMU hook, the udev rule for /dev/vfio and
# vfio-pci in modules-load.d.
#
# Before any file is written, replaced or removed, its previous bytes and mode are saved in a
# record kept outside the trees installed into: DIR/../.one-pci-install/ on the front-end (so
# `onehost sync` does not push it), ROOT/var/lib/one-pci/install/ on a host. --uninstall plays the
# record backwards. A run that fails half-way undoes its own changes in reverse, or names what
# it could not undo. A second run changes nothing.
#
# Environment: ONE_PCI_OWNER (user:group for the front-end files; default oneadmin:oneadmin when
# that user exists and this runs as root), ONE_PCI_JVM_DIRS (folders holding JVMs, default
# /usr/lib/jvm), ONE_PCI_INSTALL_FAIL_AT=<step> (tests: fail just before that step; steps are
# build launcher jar stock conf command (front-end), build jar java cds command hook udev modules (host), commit,
# and restore:<path> when uninstalling;
# <step>:kill dies there without undoing anything, and the next run undoes it first).
# "a && b || fail" below means: fail when a or b fails, as written.
# shellcheck disable=SC2015
set -u
umask 022

PROG=install.sh
PROBES=im/kvm-probes.d/host/system
PROBE=$PROBES/pci-probe
JAR=$PROBES/one-pci.jar
STOCK=$PROBES/pci.rb
KEPT=im/kvm-probes.d/host/one-pci-stock/pci.rb
CONF=etc/im/kvm-probes.d/pci.conf
HOOK=etc/libvirt/hooks/qemu.d/one-pci
UDEV=etc/udev/rules.d/99-one-pci-vfio.rules
MODULES=etc/modules-load.d/one-pci-vfio.conf
LIB_JAR=usr/lib/one-pci/one-pci.jar
LIB_JAVA=usr/lib/one-pci/java.sh
COMMAND=usr/sbin/one-pci

MODE=frontend ACTION=install DRY=0 LOCKED=0 FORCE=0
REMOTES=/var/lib/one/remotes REMOTES_GIVEN=0 ROOT=/ ROOT_GIVEN=0 JAR_FILE=
BIN=/usr/bin BIN_GIVEN=0

say() { printf '%s\n' "$*"; }
err() { printf '%s: %s\n' "$PROG" "$*" >&2; }

usage() {
    say "usage: $PROG [--remotes DIR] [--bin DIR] [--dry-run] [--force] [--uninstall]   (front-end, as root)"
    say "       $PROG --host [--root DIR] [--jar FILE] [--dry-run] [--force] [--uninstall]   (KVM host, as root)"
}

usage_error() {
    err "$*"
    usage >&2
    exit 64
}

# --- command line ----------------------------------------------------------------------------

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --host) MODE=host ;;
            --remotes)
                [ $# -ge 2 ] || usage_error "--remotes needs a folder"
                REMOTES=$2 REMOTES_GIVEN=1
                shift ;;
            --root)
                [ $# -ge 2 ] || usage_error "--root needs a folder"
                ROOT=$2 ROOT_GIVEN=1
                shift ;;
            --bin)
                [ $# -ge 2 ] || usage_error "--bin needs a folder"
                BIN=$2 BIN_GIVEN=1
                shift ;;
            --jar)
                [ $# -ge 2 ] || usage_error "--jar needs a file"
                JAR_FILE=$2
                shift ;;
            --dry-run) DRY=1 ;;
            --uninstall) ACTION=uninstall ;;
            --force) FORCE=1 ;;
            -h|--help) usage; exit 0 ;;
            *) usage_error "unknown argument '$1'" ;;
        esac
        shift
    done
    if [ "$MODE" = host ] && [ "$REMOTES_GIVEN" = 1 ]; then
        usage_error "--remotes is for the front-end; a host install takes --root"
    fi
    if [ "$MODE" = host ] && [ "$BIN_GIVEN" = 1 ]; then
        usage_error "--bin is for the front-end; a host install puts the command in ROOT/usr/sbin"
    fi
    if [ "$MODE" = frontend ] && [ "$ROOT_GIVEN" = 1 ]; then
        usage_error "--root goes with --host"
    fi
    if [ "$MODE" = frontend ] && [ -n "$JAR_FILE" ]; then
        usage_error "--jar goes with --host"
    fi
}

# --- paths -----------------------------------------------------------------------------------

# The folder this script is in: the checkout the files are taken from.
source_dir() {
    self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
    CDPATH='' cd -P -- "$(dirname -- "$self")" && pwd -P
}

# The absolute path of REL in the tree being installed into (an absolute REL, such as the
# front-end's command, is outside that tree and stays as it is).
target() {
    case $1 in /*) printf '%s\n' "$1"; return ;; esac
    case $TREE in
        /) printf '/%s\n' "$1" ;;
        *) printf '%s/%s\n' "$TREE" "$1" ;;
    esac
}

# Lines of a file, reversed.
reverse() {
    awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }' "$@"
}

count_lines() {
    if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi
}

# What --uninstall compares: "absent", or the checksum, size and mode of the file.
state_of() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        printf '%s %s\n' "$(cksum < "$1" | awk '{ print $1, $2 }')" "$(stat -c %a -- "$1")"
    else
        echo absent
    fi
}

# True when FILE belongs to OWNER (user:group by name or number), or OWNER is empty.
owner_is() {
    [ -z "$2" ] || [ "$(stat -c %U:%G -- "$1")" = "$2" ] || [ "$(stat -c %u:%g -- "$1")" = "$2" ]
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# The test hook: fails just before step $1 when ONE_PCI_INSTALL_FAIL_AT names it; with
# "<step>:kill" the whole run dies there at once, as on a power cut, without undoing anything.
reach() {
    case ${ONE_PCI_INSTALL_FAIL_AT:-} in
        "$1")
            err "failing before step '$1' (ONE_PCI_INSTALL_FAIL_AT)"
            return 1 ;;
        "$1:kill")
            kill -KILL "$$"
            exit 137 ;;
    esac
}

# Counts a change (made, or that a dry run would make).
note_change() {
    echo x >> "$WORK/changes"
}

# --- the record ------------------------------------------------------------------------------
# RECORD/state/manifest  "<id> <relative path>" for every path ever changed, in order
# RECORD/state/<id>.before  the path's bytes and mode before the first change (absent: never existed)
# RECORD/state/<id>.after   state_of the path as the install left it
# RECORD/state/dirs       folders the install created, in order
# RECORD/run/             this run's journal: list ("<n> <path>"), <n> (saved bytes), dirs
# RECORD/self-dirs        folders made to hold RECORD itself (removed with it)
# RECORD/lock/pid         the run working on the tree now

# Makes the record folder, noting the folders it had to create, and takes its lock.
open_record() {
    made=$(missing_dirs "$RECORD") || return 1
    mkdir -p -- "$RECORD" || { err "cannot create the install record $RECORD"; return 1; }
    [ -z "$made" ] || printf '%s\n' "$made" >> "$RECORD/self-dirs"
    lock && recover || return 1
    mkdir -p -- "$RUN" && [ -d "$RUN" ]
}

# One run at a time: RECORD/lock holds the pid of the run that has it.
lock() {
    if mkdir -- "$RECORD/lock" 2>/dev/null; then
        echo "$$" > "$RECORD/lock/pid" && LOCKED=1
        return
    fi
    pid=$(cat -- "$RECORD/lock/pid" 2>/dev/null)
    if [ -z "$pid" ]; then
        err "$RECORD/lock names no run: when no install.sh is running, remove that folder and run again"
        return 1
    fi
    if kill -0 "$pid" 2>/dev/null; then
        err "another install.sh (pid $pid) is working on $TREE; wait for it to finish"
        return 1
    fi
    err "taking over the lock left by a run that is gone (pid $pid)"
    echo "$$" > "$RECORD/lock/pid" && LOCKED=1
}

unlock() {
    [ "$LOCKED" = 1 ] || return 0
    rm -rf -- "$RECORD/lock"
    LOCKED=0
}

# Finishes what a run killed half-way left: a half-swapped record, changes not yet committed.
recover() {
    recover_state || return 1
    if [ -d "$RUN" ]; then
        err "an earlier run stopped half-way; undoing what it changed first"
        rollback "the run that stopped" || return 1
    fi
}

# After a crash between the two renames of commit, state.old is the record to keep.
recover_state() {
    if [ ! -d "$STATE" ] && [ -d "$RECORD/state.old" ]; then
        mv -- "$RECORD/state.old" "$STATE" || { err "cannot recover $RECORD/state.old"; return 1; }
    fi
    rm -rf -- "$RECORD/state.new" "$RECORD/state.old"
}

# Absolute folders from the top-most missing one down to $1 itself, one a line.
missing_dirs() (
    d=$1 list=
    while [ ! -d "$d" ]; do
        list="$d${list:+
$list}"
        d=$(dirname -- "$d")
    done
    printf '%s' "$list"
)

# Removes the record when it holds nothing, with the folders made for it.
close_record_if_empty() {
    [ -d "$RECORD" ] || return 0
    [ ! -f "$STATE/manifest" ] && [ ! -d "$RUN" ] || return 0
    made=$(reverse "$RECORD/self-dirs" 2>/dev/null)
    rm -rf -- "$RECORD" || { err "cannot remove $RECORD"; return 1; }
    printf '%s\n' "$made" | while IFS= read -r d; do
        [ -n "$d" ] && [ "$d" != "$RECORD" ] || continue
        rmdir -- "$d" 2>/dev/null || true
    done
    [ ! -e "$RECORD" ]
}

# Saves REL as it is before this run's first change to it.
journal() (
    rel=$1
    [ -f "$RUN/list" ] && awk -v r="$rel" '$2 == r { f = 1 } END { exit !f }' "$RUN/list" && exit 0
    n=$(($(count_lines "$RUN/list") + 1))
    dst=$(target "$rel")
    if [ -e "$dst" ]; then
        cp -p -- "$dst" "$RUN/$n" && cmp -s -- "$dst" "$RUN/$n" || { err "cannot save $dst in $RUN before changing it"; exit 1; }
    fi
    printf '%s %s\n' "$n" "$rel" >> "$RUN/list"
)

# Makes the folder of REL (given to OWNER, when set), noting each folder made so that
# uninstall and rollback remove it.
make_parent() (
    dir=$(target "$(dirname -- "$1")")
    made=$(missing_dirs "$dir") || exit 1
    [ -n "$made" ] || exit 0
    mkdir -p -- "$dir" || { err "cannot create $dir"; exit 1; }
    printf '%s\n' "$made" | while IFS= read -r d; do
        printf '%s\n' "${d#"$TREE"/}" >> "$RUN/dirs"
        [ -z "$OWNER" ] || chown "$OWNER" "$d" || { err "cannot give $d to $OWNER"; exit 1; }
    done || exit 1
    [ -d "$dir" ] && owner_is "$dir" "$OWNER"
)

# Folds this run's journal into the record (on a copy, swapped in with two renames).
commit() (
    reach commit || exit 1
    [ -f "$RUN/list" ] || { rm -rf -- "$RUN"; exit 0; }
    rm -rf -- "$RECORD/state.new"
    if [ -d "$STATE" ]; then cp -pR -- "$STATE" "$RECORD/state.new" || exit 1; else mkdir -- "$RECORD/state.new" || exit 1; fi
    while read -r n rel; do
        commit_one "$n" "$rel" || exit 1
    done < "$RUN/list"
    if [ -f "$RUN/dirs" ]; then cat -- "$RUN/dirs" >> "$RECORD/state.new/dirs" || exit 1; fi
    if [ -d "$STATE" ]; then mv -- "$STATE" "$RECORD/state.old" || exit 1; fi
    mv -- "$RECORD/state.new" "$STATE" || { recover_state; exit 1; }
    rm -rf -- "$RECORD/state.old" "$RUN"
    [ -f "$STATE/manifest" ] && [ ! -d "$RUN" ]
)

# One journal entry into state.new: a path seen for the first time keeps what was there before;
# a path changed again keeps its first "before" unless something else changed it in between.
commit_one() (
    n=$1 rel=$2 next=$RECORD/state.new
    id=$(awk -v r="$rel" '$2 == r { print $1 }' "$next/manifest" 2>/dev/null)
    if [ -z "$id" ]; then
        id=$(awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m + 1 }' "$next/manifest" 2>/dev/null || echo 1)
        printf '%s %s\n' "$id" "$rel" >> "$next/manifest" || exit 1
        foreign=1
    elif [ "$(state_of "$RUN/$n")" = "$(cat -- "$next/$id.after")" ]; then
        foreign=0
    else
        foreign=1
    fi
    if [ "$foreign" = 1 ]; then
        rm -f -- "$next/$id.before"
        if [ -e "$RUN/$n" ]; then cp -p -- "$RUN/$n" "$next/$id.before" || exit 1; fi
    fi
    state_of "$(target "$rel")" > "$next/$id.after"
)

# Puts REL back as SAVED holds it (or removes it when SAVED does not exist), checking the result.
restore() (
    saved=$1 dst=$(target "$2")
    if [ -e "$saved" ]; then
        mkdir -p -- "$(dirname -- "$dst")" && rm -f -- "$dst" && cp -p -- "$saved" "$dst" || exit 1
        [ "$(state_of "$dst")" = "$(state_of "$saved")" ]
    else
        rm -f -- "$dst" && [ ! -e "$dst" ]
    fi
)

# Removes the folders listed in FILE (relative to the tree), last first, when they are empty.
remove_dirs() (
    [ -f "$1" ] || exit 0
    reverse "$1" | while IFS= read -r rel; do
        d=$(target "$rel")
        [ -d "$d" ] || continue
        if [ "$DRY" = 1 ]; then say "would remove folder $d (when empty)"; continue; fi
        [ -z "$(ls -A -- "$d")" ] || { say "kept folder $d: not empty"; continue; }
        rmdir -- "$d" && [ ! -d "$d" ] || { err "cannot remove folder $d"; exit 1; }
        say "remove folder $d"
    done
)

# Undoes the journalled run's changes, last first ($1 names that run). Names what it could not undo.
rollback() (
    [ -d "$RUN" ] || exit 0
    left=
    if [ -f "$RUN/list" ]; then
        left=$(reverse "$RUN/list" | while read -r n rel; do
            if restore "$RUN/$n" "$rel"; then err "undone: $(target "$rel")"; else printf '%s ' "$(target "$rel")"; fi
        done)
    fi
    remove_dirs "$RUN/dirs" >/dev/null || left="$left(folders in $RUN/dirs)"
    if [ -n "$left" ]; then
        err "could not undo every change; still changed: $left(their previous bytes are in $RUN)"
        exit 1
    fi
    rm -rf -- "$RUN"
    err "rolled back: $TREE is as it was before $1"
)

# --- changes -----------------------------------------------------------------------------------

# put_file SRC REL MODE OWNER [keep-time]: REL gets SRC's bytes, MODE and, when given, OWNER;
# with keep-time, SRC's modification time too.
put_file() (
    src=$1 rel=$2 mode=$3 owner=$4 time=${5:-}
    dst=$(target "$rel")
    how="mode $mode${owner:+, owner $owner}"
    if [ -f "$dst" ] && cmp -s -- "$src" "$dst" && [ "$(stat -c %a -- "$dst")" = "$mode" ] && owner_is "$dst" "$owner"; then
        exit 0
    fi
    verb=add
    [ ! -e "$dst" ] || verb=replace
    note_change
    if [ "$DRY" = 1 ]; then say "would $verb $dst ($how)"; exit 0; fi
    journal "$rel" && make_parent "$rel" || exit 1
    tmp=$(dirname -- "$dst")/.$(basename -- "$dst").one-pci-new
    if ! { rm -f -- "$tmp" && (umask 077 && : > "$tmp") && cp -- "$src" "$tmp" && chmod "$mode" "$tmp" &&
        { [ -z "$time" ] || touch -r "$src" "$tmp"; } &&
        { [ -z "$owner" ] || chown "$owner" "$tmp"; } && mv -f -- "$tmp" "$dst"; }; then
        rm -f -- "$tmp"
        err "cannot write $dst ($how)"
        exit 1
    fi
    if ! { cmp -s -- "$src" "$dst" && [ "$(stat -c %a -- "$dst")" = "$mode" ] && owner_is "$dst" "$owner"; }; then
        err "$dst does not hold what was written ($how): check the filesystem"
        exit 1
    fi
    say "$verb $dst ($how)"
)

# remove_file REL
remove_file() (
    dst=$(target "$1")
    [ -e "$dst" ] || exit 0
    note_change
    if [ "$DRY" = 1 ]; then say "would remove $dst"; exit 0; fi
    journal "$1" || exit 1
    rm -f -- "$dst" && [ ! -e "$dst" ] || { err "cannot remove $dst"; exit 1; }
    say "remove $dst"
)

# --- Java ----------------------------------------------------------------------------------------

# Where Java is and which JVM flags: host/java.sh, the rule the hook and the one-pci command share.
load_java_rule() {
    [ -f "$SRC/host/java.sh" ] || { err "$SRC/host/java.sh is missing from this checkout: nothing was installed; update the checkout (git pull) and run again"; return 1; }
    # shellcheck source=host/java.sh
    . "$SRC/host/java.sh"
}

# --- front-end steps ---------------------------------------------------------------------------

# The front-end files belong to oneadmin when that user exists and we can give them away.
frontend_owner() {
    if [ -n "${ONE_PCI_OWNER:-}" ]; then
        printf '%s\n' "$ONE_PCI_OWNER"
    elif is_root && id oneadmin >/dev/null 2>&1; then
        echo oneadmin:oneadmin
    fi
}

jar_is_stale() {
    [ ! -f "$SRC/target/one-pci.jar" ] ||
        [ -n "$(find "$SRC/src" "$SRC/pom.xml" -type f -newer "$SRC/target/one-pci.jar" -print 2>/dev/null | head -n 1)" ]
}

step_build() {
    reach build || return 1
    jar_is_stale || return 0
    if [ "$DRY" = 1 ]; then
        say "would build $SRC/target/one-pci.jar (mvn -B -q package -DskipTests)"
        return 0
    fi
    say "building $SRC/target/one-pci.jar (mvn -B -q package -DskipTests)"
    (cd "$SRC" && mvn -B -q package -DskipTests) || { err "the build failed: fix it, or build by hand with 'mvn package', then run again"; return 1; }
    ! jar_is_stale || { err "mvn did not leave a current $SRC/target/one-pci.jar"; return 1; }
}

step_launcher() {
    reach launcher && put_file "$SRC/probe/pci-probe" "$PROBE" 755 "$OWNER"
}

step_jar() {
    reach jar || return 1
    if [ "$DRY" = 1 ] && [ ! -f "$SRC/target/one-pci.jar" ]; then
        note_change
        say "would add $(target "$JAR") (mode 644${OWNER:+, owner $OWNER}) once built"
        return 0
    fi
    put_file "$SRC/target/one-pci.jar" "$JAR" 644 "$OWNER"
}

# The front-end's one-pci command: frontend/one-pci with the remotes tree it runs the jar of and
# host/java.sh (the Java rule) written in, owned by root (a folder on root's PATH).
step_command_frontend() {
    reach command || return 1
    q=$(printf '%s' "$TREE" | sed "s/'/'\\\\''/g")
    while IFS= read -r line; do
        case $line in
            'REMOTES='*) printf "REMOTES='%s'\n" "$q" ;;
            '# @java.sh@'*) cat -- "$SRC/host/java.sh" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$SRC/frontend/one-pci" > "$WORK/one-pci" || return 1
    bin=$(cd -P -- "$BIN" 2>/dev/null && pwd -P) || bin=$BIN
    owner=
    ! is_root || owner=root:root
    keep=$OWNER OWNER=$owner
    put_file "$WORK/one-pci" "${bin%/}/one-pci" 755 "$owner"
    set -- $? && OWNER=$keep && return "$1"
}

# The stock pci.rb leaves the probes folder (two probes would report the same devices) but is
# kept, not executable, for the launcher's no-Java fallback and for --uninstall.
step_stock() {
    reach stock || return 1
    [ -e "$(target "$STOCK")" ] || return 0
    put_file "$(target "$STOCK")" "$KEPT" 644 "$OWNER" && remove_file "$STOCK"
}

# The top-level keys of a pci.conf, without the leading colon (':filter:' and 'filter:' alike).
conf_keys() {
    awk -v q="['\"]" '
        $0 ~ "^" q "?:?[A-Za-z_][A-Za-z0-9_]*" q "?:([ \t]|$)" {
            k = $0; sub("^" q, "", k); sub(/^:/, "", k); sub("[:\"\047].*", "", k); print k
        }' "$1"
}

# Keys of OURS that SITE lacks, one a line.
missing_keys() {
    conf_keys "$2" > "$WORK/site-keys" || return 1
    conf_keys "$1" | while IFS= read -r k; do
        grep -qxF -- "$k" "$WORK/site-keys" || printf '%s\n' "$k"
    done
}

# The lines of KEY in FILE: the key line and the indented or list lines under it.
key_block() {
    awk -v want="$2" '
        inside && /^([ \t]|- |-$)/ { print; next }
        { inside = 0 }
        /^:?[A-Za-z_][A-Za-z0-9_]*:([ \t]|$)/ {
            k = $0; sub(/^:/, "", k); sub(/:.*/, "", k)
            if (k == want) { inside = 1; print }
        }' "$1"
}

# The site's pci.conf stays as it is, byte for byte; only keys it lacks are added at the end.
step_conf() {
    reach conf || return 1
    site=$(target "$CONF")
    ours=$SRC/remotes/$CONF
    if [ ! -e "$site" ]; then
        put_file "$ours" "$CONF" 644 "$OWNER"
        return
    fi
    missing=$(missing_keys "$ours" "$site") || return 1
    [ -n "$missing" ] || return 0
    merge_conf "$ours" "$site" "$missing" > "$WORK/pci.conf" || return 1
    cp -- "$site" "$WORK/pci.conf.site" || return 1
    say "$site: keeping the site's settings; adding the keys it lacks: $(printf '%s' "$missing" | tr '\n' ' ')"
    owner=$(stat -c %u:%g -- "$site")
    [ "$owner" != "$(id -u):$(id -g)" ] || owner=
    put_file "$WORK/pci.conf" "$CONF" "$(stat -c %a -- "$site")" "$owner" || return 1
    [ "$DRY" = 1 ] && return 0
    [ -z "$(missing_keys "$ours" "$site")" ] || { err "$site still lacks keys after the merge"; return 1; }
    if ! why=$(probe_accepts "$site") && probe_accepts "$WORK/pci.conf.site" >/dev/null; then
        err "adding keys made $site invalid for the probe ($why); the site's own file is kept for --uninstall"
        return 1
    fi
}

# The pci.conf in force must be one the probe accepts: otherwise every host would go to ERROR, so
# the run fails and is rolled back, unless --force installs it anyway (with a warning).
step_check_conf() {
    [ "$DRY" = 0 ] || return 0
    why=$(probe_accepts "$(target "$CONF")") && return 0
    if [ "$FORCE" = 1 ]; then
        err "warning: the probe rejects $(target "$CONF"), so every host will go to ERROR until it is fixed: $why (installed anyway: --force)"
        return 0
    fi
    err "the probe rejects $(target "$CONF"), so every host would go to ERROR: $why; fix that file and run again, or give --force to install anyway"
    return 1
}

# True when the probe (this checkout's jar) reads pci.conf FILE without error, or when there is no
# Java 17 to ask; otherwise prints the probe's complaint.
probe_accepts() {
    one_pci_find_java || return 0
    mkdir -p -- "$WORK/empty-root/sys/bus/pci/devices" || return 0
    # shellcheck disable=SC2086 # ONE_PCI_JVM_OPTS is a list of words
    complaint=$("$ONE_PCI_JAVA" $ONE_PCI_JVM_OPTS -jar "$SRC/target/one-pci.jar" probe --config "$1" --sysfs-root "$WORK/empty-root" 2>&1 >/dev/null) && return 0
    printf '%s\n' "${complaint#one-pci probe: }"
    return 1
}

merge_conf() {
    cat -- "$2" || return 1
    [ ! -s "$2" ] || [ "$(tail -c 1 -- "$2" | od -An -c | tr -d ' ')" = '\n' ] || echo
    printf '\n# Added by one-pci install.sh: keys this file lacked, with their default values.\n'
    printf '%s\n' "$3" | while IFS= read -r k; do
        key_block "$1" "$k"
    done
}

frontend_check() {
    [ -d "$REMOTES" ] || { err "$REMOTES does not exist: give OpenNebula's remotes folder with --remotes DIR"; return 1; }
    TREE=$(cd -P -- "$REMOTES" && pwd -P) || return 1
    [ -d "$TREE/im/kvm-probes.d" ] || { err "$TREE does not look like OpenNebula's remotes (no im/kvm-probes.d): give the right folder with --remotes DIR"; return 1; }
    # one record per tree: two remotes folders side by side each keep their own
    RECORD=$(dirname -- "$TREE")/.one-pci-install/$(basename -- "$TREE")
    adopt_old_record || return 1
    OWNER=$(frontend_owner)
    [ "$ACTION" = uninstall ] || [ -f "$SRC/frontend/one-pci" ] || { err "$SRC/frontend/one-pci is missing from this checkout: nothing was installed; update the checkout (git pull) and run again"; return 1; }
    case $BIN in /*) ;; *) BIN=$(pwd -P)/$BIN ;; esac
    STEPS="step_build step_launcher step_jar step_stock step_conf step_check_conf step_command_frontend"
}

# Before one record per tree, one-pci kept a single record right in .one-pci-install/. The first
# tree run against it after an upgrade takes it over (a dry run only reads it where it is).
adopt_old_record() {
    old=$(dirname -- "$RECORD")
    { [ -d "$old/state" ] || [ -d "$old/run" ]; } && [ ! -e "$RECORD" ] || return 0
    if [ "$DRY" = 1 ]; then
        RECORD=$old
        return 0
    fi
    mkdir -- "$RECORD" || { err "cannot create $RECORD for the record in $old"; return 1; }
    for f in state run self-dirs; do
        [ ! -e "$old/$f" ] || mv -- "$old/$f" "$RECORD/$f" || { err "cannot move $old/$f to $RECORD"; return 1; }
    done
    rm -rf -- "$old/lock"
    say "the install record of an earlier one-pci in $old is now $RECORD"
}

frontend_next() {
    if [ "$ACTION" = install ]; then
        say "next, on the front-end as oneadmin:"
        say "  onehost sync -f               pushes the probe to every host's /var/tmp/one"
        say "  onehost forceupdate <host>    runs the probes on <host> now (once per KVM host)"
        say "  one-pci --help                the one-pci command here (runs the probe's jar as you; not as root)"
        say "and on each KVM host, as root, from this checkout: ./install.sh --host"
    else
        say "next, on the front-end as oneadmin: onehost sync -f, then onehost forceupdate <host> for each KVM host"
    fi
}

# --- host steps --------------------------------------------------------------------------------

# The only jar the hook runs: the checkout's build, or --jar FILE. It keeps its build's time: the
# class-data archive made for it holds its size and time, and a copy of the same bytes keeps it valid.
step_lib_jar() {
    reach jar || return 1
    src=${JAR_FILE:-$SRC/target/one-pci.jar}
    if [ "$DRY" = 1 ] && [ ! -f "$src" ]; then
        note_change
        say "would add $(target "$LIB_JAR") (mode 644${OWNER:+, owner $OWNER}) once built"
        return 0
    fi
    put_file "$src" "$LIB_JAR" 644 "$OWNER" keep-time
}

step_lib_java() {
    reach java && put_file "$SRC/host/java.sh" "$LIB_JAVA" 644 "$OWNER"
}

# The class-data archive of the installed jar for the Java found now (host/java.sh): made when
# that Java has none or this run changed the jar's bytes; archives for other Javas go. It never
# fails the install: without it (a warning says why) the hook and the command start as before.
step_cds() {
    reach cds || return 1
    [ -n "$ONE_PCI_JAVA" ] || return 0
    if ! one_pci_cds_name; then
        [ "$DRY" = 1 ] || err "warning: no class-data archive for the hook: the build of $ONE_PCI_JAVA cannot be read from its release file;" \
            "the hook starts without one"
        return 0
    fi
    cds=${LIB_JAR%/*}/$ONE_PCI_CDS_NAME
    if [ ! -f "$(target "$cds")" ] || jar_changed; then
        if [ "$DRY" = 1 ]; then
            note_change
            say "would add $(target "$cds") (mode 644${OWNER:+, owner $OWNER}) made by $ONE_PCI_JAVA"
        elif one_pci_make_cds "$(target "$LIB_JAR")" "$WORK/$ONE_PCI_CDS_NAME" "$WORK/cds-root"; then
            put_file "$WORK/$ONE_PCI_CDS_NAME" "$cds" 644 "$OWNER" || return 1
        else
            err "warning: no class-data archive for the hook: $ONE_PCI_JAVA did not make one ($(tail -n 1 "$WORK/$ONE_PCI_CDS_NAME.log" 2>/dev/null));" \
                "the hook starts without one"
            remove_file "$cds"
            return
        fi
    fi
    for old in "$(target "${LIB_JAR%/*}")"/one-pci-*.jsa; do
        [ -f "$old" ] && [ "${old##*/}" != "$ONE_PCI_CDS_NAME" ] || continue
        remove_file "${LIB_JAR%/*}/${old##*/}" || return 1
    done
}

# True when this run changes the installed jar's bytes (a dry run: would change them).
jar_changed() {
    dst=$(target "$LIB_JAR")
    if [ "$DRY" = 1 ]; then
        ! cmp -s -- "${JAR_FILE:-$SRC/target/one-pci.jar}" "$dst"
        return
    fi
    n=$(awk -v r="$LIB_JAR" '$2 == r { print $1 }' "$RUN/list" 2>/dev/null)
    [ -n "$n" ] || return 1
    ! cmp -s -- "$RUN/$n" "$dst"
}

step_command() {
    reach command && put_file "$SRC/host/one-pci" "$COMMAND" 755 "$OWNER"
}

step_hook() {
    reach hook && put_file "$SRC/driver-hooks/qemu" "$HOOK" 755 "$OWNER"
}

step_udev() {
    reach udev && put_file "$SRC/host/99-one-pci-vfio.rules" "$UDEV" 644 "$OWNER"
}

step_modules() {
    reach modules && put_file "$SRC/host/one-pci-vfio.conf" "$MODULES" 644 "$OWNER"
}

host_check() {
    [ -d "$ROOT" ] || { err "--root $ROOT does not exist: it must be a folder to fill; create it first (mkdir -p $ROOT) and run again"; return 1; }
    TREE=$(cd -P -- "$ROOT" && pwd -P) || return 1
    if ! is_root && [ "$TREE" = / ]; then
        err "the host install writes system files: run it as root (or give --root DIR to fill a scratch tree)"
        return 1
    fi
    if [ "$ACTION" = install ]; then
        for f in driver-hooks/qemu host/one-pci host/java.sh host/99-one-pci-vfio.rules host/one-pci-vfio.conf; do
            [ -f "$SRC/$f" ] || { err "$SRC/$f is missing from this checkout: nothing was installed; update the checkout (git pull) and run again"; return 1; }
        done
        if [ -n "$JAR_FILE" ] && { [ ! -f "$JAR_FILE" ] || [ ! -r "$JAR_FILE" ]; }; then
            err "--jar $JAR_FILE: no such file (or not readable): nothing was installed; give the one-pci.jar to install"
            return 1
        fi
    fi
    RECORD=$(target var/lib/one-pci/install)
    OWNER=
    ! is_root || OWNER=root:root
    STEPS="step_lib_jar step_lib_java step_cds step_command step_hook step_udev step_modules"
    [ -n "$JAR_FILE" ] || STEPS="step_build $STEPS"
}

host_warnings() {
    if ! one_pci_find_java; then
        err "warning: no Java $ONE_PCI_JAVA_MIN or newer found ($ONE_PCI_JAVA_TRIED): the hook, the one-pci command and the probe need it;" \
            "install $ONE_PCI_JAVA_INSTALL"
    fi
}

# The libvirt daemon that runs QEMU hooks here: virtqemud (modular daemons, the default on
# RHEL-family 9 and newer) when its socket is there or its unit is enabled, else libvirtd.
libvirt_daemon() {
    if [ -e "$(target run/libvirt/virtqemud-sock)" ]; then echo virtqemud; return; fi
    for w in "$(target etc/systemd/system)"/*.wants/virtqemud.socket "$(target etc/systemd/system)"/*.wants/virtqemud.service; do
        if [ -e "$w" ] || [ -L "$w" ]; then echo virtqemud; return; fi
    done
    echo libvirtd
}

host_next() {
    daemon=$(libvirt_daemon)
    if [ "$ACTION" = install ]; then
        say "next, on this host as root:"
        printf '  %-31s%s\n' "systemctl restart $daemon" "libvirt sees a new hook only after a restart"
        say "  modprobe vfio-pci              (loaded at every boot from now on)"
        say "  udevadm control --reload && udevadm trigger --subsystem-match=vfio"
        say "  one-pci doctor                 checks this host against the passthrough guide"
        say "after each upgrade of one-pci, run ./install.sh --host again: the hook runs only this copy"
    else
        say "next, on this host as root: systemctl restart $daemon (so that libvirt forgets the hook)"
    fi
}

# --- install and uninstall -----------------------------------------------------------------------

run_steps() {
    for s in $STEPS; do
        "$s" || return 1
    done
}

install() {
    if [ "$DRY" = 1 ]; then
        run_steps || return 1
        summary
        return
    fi
    open_record || return 1
    trap 'err "interrupted"; rollback "this run"; exit 130' INT TERM HUP
    if ! { run_steps && commit; }; then
        rollback "this run"
        close_record_if_empty
        return 1
    fi
    trap - INT TERM HUP
    close_record_if_empty
    summary
}

# Says how many changes were made (or would be). Status 2 when there were none.
summary() {
    n=$(count_lines "$WORK/changes")
    if [ "$n" -eq 0 ]; then
        say "one-pci is already installed in $TREE: nothing to change"
        return 2
    fi
    if [ "$DRY" = 1 ]; then
        say "dry run: $n change(s) would be made; nothing was changed"
    else
        say "one-pci installed in $TREE: $n change(s), recorded in $RECORD for --uninstall"
    fi
}

# Puts one recorded path back, unless something else changed it since.
undo_entry() (
    id=$1 rel=$2 dst=$(target "$2")
    reach "restore:$rel" || exit 1
    if [ "$(state_of "$dst")" != "$(cat -- "$STATE/$id.after")" ]; then
        err "kept $dst: it changed after one-pci installed it"
    else
        what="remove $dst"
        [ ! -e "$STATE/$id.before" ] || what="restore $dst"
        if [ "$DRY" = 1 ]; then say "would $what"; exit 0; fi
        restore "$STATE/$id.before" "$rel" || { err "cannot $what"; exit 1; }
        say "$what"
    fi
    [ "$DRY" = 1 ] || drop_entry "$id"
)

drop_entry() {
    awk -v id="$1" '$1 != id' "$STATE/manifest" > "$STATE/manifest.new" &&
        mv -- "$STATE/manifest.new" "$STATE/manifest" &&
        rm -f -- "$STATE/$1.before" "$STATE/$1.after"
}

# The domains whose devices the hook holds now: one journal each in /run/one-pci.
held_domains() {
    for j in "$(target run/one-pci)"/*.journal; do
        [ -f "$j" ] || continue
        j=${j##*/}
        printf '%s\n' "${j%.journal}"
    done
}

# A host is uninstalled only when no domain holds devices through the hook: without the hook,
# nothing would give them back. --force releases them first, with the one-pci command.
release_held() {
    domains=$(held_domains)
    [ -n "$domains" ] || return 0
    list=$(printf '%s' "$domains" | tr '\n' ' ')
    if [ "$FORCE" = 0 ]; then
        err "domain(s) $list still hold devices the hook bound to vfio-pci (journals in $(target run/one-pci)): nothing was uninstalled;" \
            "stop them first (their devices are then given back), or give --force to release the devices now and uninstall"
        return 1
    fi
    command=$(target "$COMMAND")
    [ -x "$command" ] || { err "cannot release the devices of $list without $command: nothing was uninstalled; run install.sh --host first"; return 1; }
    printf '%s\n' "$domains" | while IFS= read -r d; do
        if [ "$DRY" = 1 ]; then say "would release the devices of domain $d (one-pci vfio release --domain $d)"; continue; fi
        if [ "$TREE" = / ]; then
            "$command" vfio release --domain "$d"
        else
            ONE_PCI_ROOT=$TREE "$command" vfio release --domain "$d" --sysfs-root "$TREE"
        fi || { err "cannot release the devices of domain $d (above): nothing was uninstalled; fix the cause and run again"; exit 1; }
        say "released the devices of domain $d"
    done
}

uninstall() {
    if [ "$DRY" = 1 ] && [ -d "$RUN" ]; then
        err "an earlier run stopped half-way ($RUN): run without --dry-run to undo it first"
        return 1
    fi
    if [ "$DRY" = 0 ] && [ -d "$RECORD" ]; then
        lock && recover && close_record_if_empty || return 1
    fi
    if [ ! -f "$STATE/manifest" ]; then
        say "one-pci is not installed in $TREE: no record in $RECORD; nothing to change"
        return 2
    fi
    if [ "$MODE" = host ]; then release_held || return 1; fi
    if ! reverse "$STATE/manifest" | while read -r id rel; do undo_entry "$id" "$rel" || exit 1; done; then
        err "uninstall stopped; still installed:$(awk -v t="${TREE%/}" '{ p = $0; sub(/^[^ ]* /, "", p); if (p !~ /^\//) p = t "/" p; printf " %s", p }' "$STATE/manifest") (record: $RECORD); fix the cause and run --uninstall again"
        return 1
    fi
    remove_dirs "$STATE/dirs" || return 1
    if [ "$DRY" = 1 ]; then
        say "would remove the record $RECORD"
        say "dry run: nothing was changed"
        return 0
    fi
    rm -f -- "$STATE/manifest" "$STATE/dirs"
    rmdir -- "$STATE" || { err "$STATE holds files it should not: left as it is"; return 1; }
    close_record_if_empty || return 1
    say "one-pci uninstalled from $TREE"
}

main() {
    parse_args "$@"
    SRC=$(source_dir) || { err "cannot find the folder of $0"; exit 1; }
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/one-pci-install.XXXXXX") || { err "cannot make a scratch folder"; exit 1; }
    trap 'unlock; rm -rf -- "$WORK"' EXIT
    if [ "$MODE" = host ]; then host_check || exit 1; else frontend_check || exit 1; fi
    [ "$ACTION" = uninstall ] || load_java_rule || exit 1
    STATE=$RECORD/state RUN=$RECORD/run
    if [ "$ACTION" = install ]; then
        [ "$MODE" = frontend ] || host_warnings
        install
    else
        uninstall
    fi
    # 0: done, next steps follow; 2: nothing to do; anything else: failed, already reported
    case $? in
        0) [ "$DRY" = 1 ] || "${MODE}_next" ;;
        2) ;;
        *) exit 1 ;;
    esac
}

main "$@"
