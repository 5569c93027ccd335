# shellcheck shell=sh disable=SC2086,SC2034 # $MULTI is the list of the five addresses, split on purpose; HOOK is for the next scenario
# Scenario: one domain holding every e1000e of the guest (five functions in four IOMMU groups: the
# multifunction pair, then NIC0, NIC2 and NIC3, in that order in its XML), prepared in one call and
# released in one call; then the same domain with the fourth device's bind failing half-way (after
# its unbind from e1000e), which must undo everything that prepare changed, last first.
# Sourced by suite (needs lib.sh). The hook is the one install.sh --host installs, called by hand as
# libvirt calls it. Four JVM starts: prepare, release, release again (holds nothing: the JVM's floor
# beside the two), and the failing prepare. The hook's wall times are printed in the check names.
check "install.sh --host installs the hook for the multi-device domain" \
    sh -c "'$REPO/install.sh' --host >/tmp/install.out 2>&1 || { cat /tmp/install.out; exit 1; }"
HOOK=/etc/libvirt/hooks/qemu.d/one-pci

M1=$(nic_by_mac 52:54:00:00:00:1a)
M2=$(nic_by_mac 52:54:00:00:00:1b)
M3=$(nic_by_mac 52:54:00:00:00:10)
M4=$(nic_by_mac 52:54:00:00:00:20)
M5=$(nic_by_mac 52:54:00:00:00:30)
MULTI="$M1 $M2 $M3 $M4 $M5"

# Each device's driver, driver_override and interface (by its MAC), then the domain's journal:
# everything a release or a failed prepare must give back.
given_back() {
    for _a in $MULTI; do
        printf '%s=%s/%s/%s ' "$_a" "$(driver_of "$_a")" "$(override_of "$_a")" "$(cat "/sys/bus/pci/devices/$_a/net/"*/address 2>/dev/null)"
    done
    journal_of one-m
}
# The /dev/vfio nodes of the five devices' groups that exist, with their mode.
nodes() { for _a in $MULTI; do group_of "$_a"; done | uniq | while read -r _g; do
    [ -e "/dev/vfio/$_g" ] && printf '%s:%s ' "$_g" "$(stat -c %a "/dev/vfio/$_g")"; done; }
# timed OPERATION SUB ADDRESS...: the hook for one-m, its output in /tmp/one-m.out; sets rc and secs.
timed() {
    _t0=$(cut -d' ' -f1 /proc/uptime)
    hook one-m "$@" >/tmp/one-m.out 2>&1
    rc=$?
    secs=$(awk -v a="$_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
}
# The addresses (or /dev/vfio/N) the hook's output names on lines matching $1, in order.
said_in_order() { grep -E "$1" /tmp/one-m.out | sed -E 's/^one-pci vfio: one-m: //; s/^([^ :]*:[^ :]*:[^ :]*|[^ :]*): .*/\1/' | tr '\n' ' '; }

before=$(given_back)
groups=$(for a in $MULTI; do group_of "$a"; done | uniq | tr '\n' ' ')

# --- every e1000e in one prepare, and back in one release --------------------------------------
timed prepare begin $MULTI
expect_eq "prepare one-m with all five e1000e ($(printf '%s' "$groups" | wc -w) IOMMU groups) in one call: exit 0, ${secs}s" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/       /' /tmp/one-m.out
expect_eq "prepare one-m: all five on vfio-pci" "vfio-pci vfio-pci vfio-pci vfio-pci vfio-pci " "$(drivers $MULTI)"
expect_eq "prepare one-m: group by group in the domain's order, each group's /dev/vfio node ready before the next" \
    "$M1 $M2 /dev/vfio/$(group_of "$M1") $M3 /dev/vfio/$(group_of "$M3") $M4 /dev/vfio/$(group_of "$M4") $M5 /dev/vfio/$(group_of "$M5") " \
    "$(said_in_order ': on vfio-pci \(was e1000e\)$|/dev/vfio/[0-9]+: mode 0666$')"
expect_eq "prepare one-m: a /dev/vfio node per group, mode 666" \
    "$(for g in $groups; do printf '%s:666 ' "$g"; done)" "$(nodes)"
timed release end $MULTI
expect_eq "release end one-m: exit 0, ${secs}s" 0 "$rc"
expect_eq "release one-m: all five back on e1000e, no override, their interfaces back, no journal" "$before" "$(given_back)"
expect_eq "release one-m: given back last first" "$M5 $M4 $M3 $M2 $M1 " "$(said_in_order ': back on e1000e$')"
timed release end $MULTI
expect_eq "release end one-m again (holds nothing; the JVM alone): exit 0, ${secs}s" "0 one-m: holds no devices; nothing to release" \
    "$rc $(grep 'one-pci vfio: ' /tmp/one-m.out | sed 's/^one-pci vfio: //')"

# --- the fourth device fails half-way: the whole domain is undone ------------------------------
# The engine writes to sysfs through `dd` children. This dd, first on PATH, refuses the first write
# of $M4 to drivers_probe as the kernel refuses a write (dd's message, exit 1), after its
# driver_override and its unbind from e1000e went through: $M4 is then on no driver. Every other
# write, the rollback's drivers_probe of $M4 included, goes to the real dd.
fail_dd=/tmp/multi-fail
rm -rf "$fail_dd"
mkdir -p "$fail_dd"
cat >"$fail_dd/dd" <<EOF
#!/bin/sh
v=\$(cat)
for a; do case \$a in of=*) of=\${a#of=} ;; esac; done
if [ "\$of" = /sys/bus/pci/drivers_probe ] && [ "\$v" = "$M4" ] && [ ! -e $fail_dd/fired ]; then
    : >$fail_dd/fired
    echo "dd: error writing '\$of': No such device" >&2
    exit 1
fi
printf '%s\n' "\$v" | $(command -v dd) "\$@"
EOF
chmod +x "$fail_dd/dd"
_t0=$(cut -d' ' -f1 /proc/uptime)
PATH=$fail_dd:$PATH hook one-m prepare begin $MULTI >/tmp/one-m.out 2>&1
rc=$?
secs=$(awk -v a="$_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
expect_eq "prepare one-m with $M4's drivers_probe refused: exit 1, naming the write, ${secs}s" \
    "1 one-m: failed: $M4: /sys/bus/pci/drivers_probe: write refused: No such device; fix: see 'dmesg' for the kernel's reason" \
    "$rc $(grep 'one-m: failed: ' /tmp/one-m.out | sed 's/^one-pci vfio: //')"
expect_eq "the failed prepare undid its binds last first, and never touched $M5" "$M4 $M3 $M2 $M1 0" \
    "$(said_in_order ': rolling back ' | sed -E 's/rolling back //g')$(grep -c "$M5" /tmp/one-m.out)"
expect_eq "after the failed prepare all five are back: e1000e, no override, their interfaces, no journal" "$before" "$(given_back)"
expect_eq "after the failed prepare no /dev/vfio node of the four groups is left" "" "$(nodes)"

check "install.sh --host --uninstall after the multi-device domain" sh -c \
    "'$REPO/install.sh' --host --uninstall >/tmp/install.out 2>&1 || { cat /tmp/install.out; exit 1; }"
HOOK=$REPO/driver-hooks/qemu
