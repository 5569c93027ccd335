# Scenario: driver-hooks/qemu binds and releases real devices on a kernel with a real IOMMU.
# Sourced by suite (needs lib.sh). Devices: the multifunction pair NIC1A+NIC1B (one IOMMU group),
# NIC0 (node 0) and NIC2 (node 1) alone in their groups, NIC3 for an administrator's binding, and
# the AHCI controller holding the disk mounted on /mnt/disk.
# The hook is the one `install.sh --host` installs in the guest (its / is a tmpfs overlay), running
# the root-owned jar it puts in /usr/lib/one-pci; the scenario ends with install.sh --uninstall.
if [ ! -x "$HOOK" ]; then
    check "driver-hooks/qemu exists and is executable in this checkout" test -x "$HOOK"
    return 0
fi
check "install.sh --host installs the hook, the jar and the one-pci command in the guest" \
    sh -c "'$REPO/install.sh' --host >/tmp/install.out 2>&1 || { cat /tmp/install.out; exit 1; }"
HOOK=/etc/libvirt/hooks/qemu.d/one-pci
LIB_JAR=/usr/lib/one-pci/one-pci.jar
expect_eq "the installed jar is root's, mode 644, and the checkout's build" "root:root 644 same" \
    "$(stat -c '%U:%G %a' "$LIB_JAR") $(cmp -s "$LIB_JAR" "$JAR" && echo same)"
# The class-data archive install.sh made for the guest's Java (named for its build, java.sh's rule).
CDS_NAME=$(. "$REPO/host/java.sh" && ONE_PCI_JAVA=$JAVA_HOME/bin/java && one_pci_cds_name && echo "$ONE_PCI_CDS_NAME")
expect_eq "install.sh made the class-data archive $CDS_NAME beside the jar, root's, mode 644" "root:root 644" \
    "$(stat -c '%U:%G %a' "/usr/lib/one-pci/$CDS_NAME" 2>&1)"

NIC0=$(nic_by_mac 52:54:00:00:00:10)
NIC1A=$(nic_by_mac 52:54:00:00:00:1a)
NIC1B=$(nic_by_mac 52:54:00:00:00:1b)
NIC2=$(nic_by_mac 52:54:00:00:00:20)
NIC3=$(nic_by_mac 52:54:00:00:00:30)
STATE=/run/one-pci
REAL_DD=$(command -v dd)

# The PCI function that holds the mounted disk: the last PCI address on its sysfs path.
disk_dev=$(awk '$2 == "/mnt/disk" { print $1 }' /proc/mounts)
AHCI=$(readlink -f "/sys/class/block/${disk_dev#/dev/}" | tr '/' '\n' |
    grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' | tail -n 1)

# --- readiness once the hook is installed: the probe's PCI_PASSTHROUGH ---------------------------
# readiness 'SHORT', ...: one probe run offering those devices; prints "STATE BLOCKED :: ISSUES".
short_of() { printf '%s' "${1#0000:}"; }
readiness() {
    printf ":filter: '*:*'\n:short_address: [%s]\n" "$1" >/tmp/ready.conf
    one_pci probe --config /tmp/ready.conf 2>/tmp/ready.err | sed -n 's/^PCI_PASSTHROUGH\(_[A-Z]*\)\{0,1\} = "\(.*\)"$/\2/p' |
        { read -r _s; read -r _i; read -r _b; printf '%s %s :: %s' "$_s" "$_b" "$_i"; }
}
expect_eq "probe offering the pair $NIC1A $NIC1B with the hook installed: READY, no issue, nothing blocked" \
    "READY  :: " "$(readiness "'$(short_of "$NIC1A")', '$(short_of "$NIC1B")'")"
expect_eq "probe offering the pair and the AHCI controller $AHCI holding /mnt/disk: PARTIAL, $AHCI blocked" \
    "PARTIAL $(short_of "$AHCI") :: passable $(short_of "$AHCI"): not passable, although the probe offers it to VMs (a VM given it would not start): holds $disk_dev, mounted on /mnt/disk" \
    "$(readiness "'$(short_of "$NIC1A")', '$(short_of "$NIC1B")', '$(short_of "$AHCI")'")"

# Fails unless the hook exits non-zero (a refusal).
refused() { if hook "$@"; then fail "the hook exited 0: not refused"; fi; }

# Everything the kernel says about the devices that a refusal must leave as it was.
snapshot() {
    for _a; do printf '%s=%s/%s ' "$_a" "$(driver_of "$_a")" "$(override_of "$_a")"; done
    for _j in "$STATE"/*.journal; do [ -e "$_j" ] && printf '%s ' "${_j##*/}"; done
}
is_char_dev() { [ -c "$1" ] || fail "$1 is not a character device"; }
mode_of() { stat -c %a "$1"; }
both_exit_0() {
    [ "$rc_c $rc_d" = "0 0" ] ||
        fail "exit codes $rc_c $rc_d; one-c said: $(cat /tmp/one-c.out); one-d said: $(cat /tmp/one-d.out)"
}

GROUP_PAIR=$(group_of "$NIC1A")

# --- the hook ignores every other operation -------------------------------------------------
check "hook one-a started begin: exits 0 and starts nothing" hook one-a started begin "$NIC1A"
expect_eq "after 'started begin' the pair is untouched" "e1000e e1000e " "$(drivers "$NIC1A" "$NIC1B")"

# --- prepare: the device and its group sibling move to vfio-pci -----------------------------
# vfio-pci unloaded first: prepare must load it (as on a host without modules-load.d).
modprobe -r vfio_pci 2>/dev/null
check "prepare begin one-a ($NIC1A): exits 0" hook one-a prepare begin "$NIC1A"
check "prepare loaded vfio-pci itself" test -d /sys/bus/pci/drivers/vfio-pci
expect_eq "prepare one-a: $NIC1A and its group sibling $NIC1B on vfio-pci" "vfio-pci vfio-pci " "$(drivers "$NIC1A" "$NIC1B")"
check "prepare one-a: /dev/vfio/$GROUP_PAIR appeared" is_char_dev "/dev/vfio/$GROUP_PAIR"
expect_eq "prepare one-a: /dev/vfio/$GROUP_PAIR has mode 0666" 666 "$(mode_of "/dev/vfio/$GROUP_PAIR")"
check "prepare one-a: the group is viable (only vfio-pci, bridges or no driver in it)" sh -c "
    for d in /sys/kernel/iommu_groups/$GROUP_PAIR/devices/*; do
        drv=\$(basename \"\$(readlink -f \$d/driver 2>/dev/null)\")
        case \$drv in vfio-pci|pcieport|'') ;; *) echo \"\$d is on \$drv\"; exit 1 ;; esac
    done"
check "vfio status names one-a for $NIC1A and $NIC1B" sh -c "
    out=\$(java -jar '$JAR' vfio status) || exit 1
    echo \"\$out\" | grep -q '^$NIC1A .* vfio-pci .* one-a .* e1000e' &&
    echo \"\$out\" | grep -q '^$NIC1B .* vfio-pci .* one-a .* e1000e' || { echo \"\$out\"; exit 1; }"

# --- idempotence ------------------------------------------------------------------------------
before=$(journal_of one-a)
check "prepare begin one-a a second time: exits 0" hook one-a prepare begin "$NIC1A"
expect_eq "second prepare: still vfio-pci, journal unchanged" "vfio-pci vfio-pci $before" \
    "$(drivers "$NIC1A" "$NIC1B")$(journal_of one-a)"

# --- refusals change nothing ------------------------------------------------------------------
before=$(snapshot "$NIC1A" "$NIC1B")
check "prepare one-b asking for $NIC1B (held by one-a): refused" refused one-b prepare begin "$NIC1B"
expect_eq "refusal of $NIC1B changed nothing" "$before" "$(snapshot "$NIC1A" "$NIC1B")"

before=$(snapshot "$AHCI")
check "prepare one-disk asking for the AHCI controller $AHCI holding /mnt/disk: refused" \
    refused one-disk prepare begin "$AHCI"
expect_eq "refusal of $AHCI changed nothing (driver, override, journals)" "$before" "$(snapshot "$AHCI")"
check "the disk is still mounted and readable after the refusal" grep -q 'written by the test guest' /mnt/disk/marker

check "prepare one-ghost asking for a device that does not exist (0000:7f:1f.7): refused" \
    refused one-ghost prepare begin 0000:7f:1f.7

# --- a mount table the hook cannot read: refused, nothing changed -----------------------------
# Root reads any file whatever its mode, so the read is made to fail in the kernel: in a mount
# namespace of its own, a write-only sysfs attribute (drivers_probe, which refuses every reader
# with EACCES, root included) is bind-mounted over /proc/PID/mountinfo of the shell that then
# execs the hook, which execs java: the same PID reads /proc/self/mountinfo and is refused.
without_mountinfo() {
    # shellcheck disable=SC2016 # expanded by the inner sh
    unshare -m --propagation private sh -c \
        'mount --bind /sys/bus/pci/drivers_probe "/proc/$$/mountinfo" && exec "$@"' sh "$@"
}
# Refused, and for the reason wanted: the table named, not some other failure of the changed /proc.
refused_without_mountinfo() {
    if domain_xml one-m "$1" | without_mountinfo "$HOOK" one-m prepare begin - >/tmp/one-m.out 2>&1; then
        fail "the hook exited 0: not refused; it said: $(cat /tmp/one-m.out)"
    fi
    grep -qF "refused $1: cannot read /proc/self/mountinfo (permission denied): refusing to move any device while the host's own use of it cannot be checked" /tmp/one-m.out ||
        fail "no refusal naming /proc/self/mountinfo; the hook said: $(cat /tmp/one-m.out)"
}
before=$(snapshot "$NIC0")
check "prepare one-m ($NIC0) with /proc/self/mountinfo unreadable: refused, naming the file" refused_without_mountinfo "$NIC0"
expect_eq "refusal without a mount table changed nothing ($NIC0 on e1000e, no journal)" "$before" "$(snapshot "$NIC0")"

# --- release: both back on e1000e -------------------------------------------------------------
check "release end one-a: exits 0" hook one-a release end "$NIC1A"
expect_eq "release one-a: $NIC1A and $NIC1B back on e1000e" "e1000e e1000e " "$(drivers "$NIC1A" "$NIC1B")"
expect_eq "release one-a: driver_override cleared on both" "(null) (null)" "$(override_of "$NIC1A") $(override_of "$NIC1B")"
check "release one-a: both have their network interface again" sh -c \
    "ls /sys/bus/pci/devices/$NIC1A/net/ && ls /sys/bus/pci/devices/$NIC1B/net/"
check "release one-a: /dev/vfio/$GROUP_PAIR is gone" sh -c "! test -e /dev/vfio/$GROUP_PAIR"
check "release one-a: no journal left" sh -c "! test -e $STATE/one-a.journal"
check "release end one-a a second time: exits 0" hook one-a release end "$NIC1A"
expect_eq "second release: still e1000e" "e1000e e1000e " "$(drivers "$NIC1A" "$NIC1B")"

# --- two domains at once ----------------------------------------------------------------------
# Runs "$1 $2" for one-c on $NIC0 and one-d on $NIC2 at the same time; sets rc_c and rc_d.
at_once() {
    hook one-c "$1" "$2" "$NIC0" >/tmp/one-c.out 2>&1 &
    pid_c=$!
    hook one-d "$1" "$2" "$NIC2" >/tmp/one-d.out 2>&1 &
    pid_d=$!
    wait "$pid_c"; rc_c=$?
    wait "$pid_d"; rc_d=$?
}
at_once prepare begin
check "one-c and one-d prepared at once: both exit 0" both_exit_0
expect_eq "one-c ($NIC0, node 0) and one-d ($NIC2, node 1) both on vfio-pci" "vfio-pci vfio-pci " "$(drivers "$NIC0" "$NIC2")"
at_once release end
check "one-c and one-d released at once: both exit 0" both_exit_0
expect_eq "one-c and one-d released: both back on e1000e" "e1000e e1000e " "$(drivers "$NIC0" "$NIC2")"

# --- an administrator's own vfio binding survives ---------------------------------------------
echo vfio-pci >"/sys/bus/pci/devices/$NIC3/driver_override"
echo "$NIC3" >/sys/bus/pci/drivers/e1000e/unbind
echo "$NIC3" >/sys/bus/pci/drivers_probe
expect_eq "by hand: $NIC3 on vfio-pci (driver_override, unbind, drivers_probe)" vfio-pci "$(driver_of "$NIC3")"
check "prepare one-e with the administrator's $NIC3: exits 0" hook one-e prepare begin "$NIC3"
check "release end one-e: exits 0" hook one-e release end "$NIC3"
expect_eq "after release $NIC3 is still the administrator's: vfio-pci, override vfio-pci" "vfio-pci vfio-pci" \
    "$(driver_of "$NIC3") $(override_of "$NIC3")"
echo >"/sys/bus/pci/devices/$NIC3/driver_override"
echo "$NIC3" >/sys/bus/pci/drivers/vfio-pci/unbind
echo "$NIC3" >/sys/bus/pci/drivers_probe

# --- a hook SIGKILLed after the first bind ----------------------------------------------------
# The engine writes to sysfs through `dd` children. This dd, first on PATH, passes every write on
# to the real dd until one concerns a second device and matches $KILL_AT (a pattern for the file
# written): then it SIGKILLs its parent, the hook's JVM, at that exact point.
inject=/tmp/inject
rm -rf "$inject"
mkdir -p "$inject"
cat >"$inject/dd" <<EOF
#!/bin/sh
v=\$(cat)
for a; do case \$a in of=*) of=\${a#of=} ;; esac; done
case \$of in
    */devices/*/driver_override) dev=\${of%/driver_override}; dev=\${dev##*/} ;;
    *) dev=\$v ;;
esac
first=\$(cat $inject/first 2>/dev/null) || { echo "\$dev" >$inject/first; first=\$dev; }
case \$of in
    \$KILL_AT)
        if [ "\$dev" != "\$first" ]; then
            echo "killed before writing '\$v' to \$of" >$inject/fired
            kill -9 \$PPID
            exit 1
        fi ;;
esac
printf '%s\n' "\$v" | $REAL_DD "\$@"
EOF
chmod +x "$inject/dd"

# killed_prepare PATTERN: prepare one-f (the pair), killed at the second device's write to PATTERN.
killed_prepare() {
    rm -f "$inject/first" "$inject/fired"
    KILL_AT=$1 PATH=$inject:$PATH hook one-f prepare begin "$NIC1A" >/tmp/one-f.out 2>&1
    echo "$?"
}
group_viable() {
    for _d in "/sys/kernel/iommu_groups/$1/devices"/*; do
        case $(driver_of "${_d##*/}") in vfio-pci | pcieport | none) ;; *) fail "${_d##*/} is on $(driver_of "${_d##*/}")" ;; esac
    done
}

# Killed before the second device is touched: the first is bound, the second untouched.
rc=$(killed_prepare '*/driver_override')
expect_eq "prepare one-f SIGKILLed after binding the first device ($(cat "$inject/fired" 2>/dev/null))" 137 "$rc"
expect_eq "killed there: $NIC1A on vfio-pci, $NIC1B untouched" "vfio-pci e1000e " "$(drivers "$NIC1A" "$NIC1B")"
check "release end one-f after the kill: exits 0" hook one-f release end "$NIC1A"
expect_eq "release after the kill: both back on e1000e, overrides cleared, no journal" \
    "e1000e e1000e (null) (null) (no journal)" \
    "$(drivers "$NIC1A" "$NIC1B")$(override_of "$NIC1A") $(override_of "$NIC1B") $(journal_of one-f)"

# Killed in the middle of the second device: unbound from e1000e, not yet probed.
rc=$(killed_prepare '*/drivers_probe')
expect_eq "prepare one-f SIGKILLed half-way through the second device ($(cat "$inject/fired" 2>/dev/null))" 137 "$rc"
expect_eq "killed there: $NIC1A on vfio-pci, $NIC1B unbound" "vfio-pci none " "$(drivers "$NIC1A" "$NIC1B")"
check "prepare begin one-f after the kill: exits 0" hook one-f prepare begin "$NIC1A"
expect_eq "prepare after the kill: $NIC1A on vfio-pci, /dev/vfio/$GROUP_PAIR there" "vfio-pci yes" \
    "$(driver_of "$NIC1A") $(test -c "/dev/vfio/$GROUP_PAIR" && echo yes)"
check "prepare after the kill: IOMMU group $GROUP_PAIR viable (vfio-pci, bridges or no driver)" group_viable "$GROUP_PAIR"
expect_eq "prepare after the kill finished the cut-off bind: $NIC1B on vfio-pci" "vfio-pci" "$(driver_of "$NIC1B")"
check "release end one-f: exits 0" hook one-f release end "$NIC1A"
expect_eq "then release: both back on e1000e, overrides cleared, no journal" \
    "e1000e e1000e (null) (null) (no journal)" \
    "$(drivers "$NIC1A" "$NIC1B")$(override_of "$NIC1A") $(override_of "$NIC1B") $(journal_of one-f)"

# --- the hook runs only what root alone can change ---------------------------------------------
chown nobody "$LIB_JAR"
before=$(snapshot "$NIC0")
hook one-g prepare begin "$NIC0" >/tmp/one-g.out 2>&1
expect_eq "prepare one-g with the installed jar owned by nobody: refused, exit 1" 1 "$?"
expect_eq "the refusal names the jar, its owner and mode, and the fix" \
    "one-pci vfio hook: refusing to run $LIB_JAR: $LIB_JAR is owned by nobody (uid $(id -u nobody)) with mode 644; root runs only what root alone can change, so one-g cannot be prepared safely; fix: run install.sh --host again, or chown root:root $LIB_JAR" \
    "$(cat /tmp/one-g.out)"
expect_eq "refusal of the untrusted jar bound nothing (driver, override, journals)" "$before" "$(snapshot "$NIC0")"
check "install.sh --host again gives the jar back to root" sh -c \
    "'$REPO/install.sh' --host >/tmp/install.out 2>&1 && grep -qx 'replace $LIB_JAR (mode 644, owner root:root)' /tmp/install.out &&
     [ \"\$(stat -c %U '$LIB_JAR')\" = root ] || { cat /tmp/install.out; exit 1; }"

# --- uninstall --------------------------------------------------------------------------------
check "install.sh --host --uninstall takes the hook, the jar and the command off" sh -c \
    "'$REPO/install.sh' --host --uninstall >/tmp/install.out 2>&1 &&
     ! test -e '$HOOK' && ! test -e /usr/lib/one-pci && ! test -e /usr/sbin/one-pci || { cat /tmp/install.out; exit 1; }"
HOOK=$REPO/driver-hooks/qemu
