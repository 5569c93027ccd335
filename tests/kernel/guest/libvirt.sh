# Scenario: the path a real VM takes. A real libvirtd (Debian's packages, started by hand: there
# is no systemd in the guest) starts real QEMU domains (TCG, no OS, no disk) whose managed PCI
# hostdev is the first function of the e1000e pair sharing one IOMMU group, with the hook put in
# place by this checkout's install.sh --host. Sourced by suite (needs lib.sh). Last in "all": it
# leaves the hook installed.
NIC1A=$(nic_by_mac 52:54:00:00:00:1a)
NIC1B=$(nic_by_mac 52:54:00:00:00:1b)
GROUP=$(group_of "$NIC1A")
STATE=/run/one-pci
LV=/tmp/libvirt-bed
LVLOG=$LV/libvirtd.log
LVPID=$LV/libvirtd.pid
mkdir -p "$LV"

virsh() { timeout 600 /usr/bin/virsh -c qemu:///system "$@"; }
# Everything a refusal must leave as it was: drivers, overrides, journals.
snapshot() {
    for _a; do printf '%s=%s/%s ' "$_a" "$(driver_of "$_a")" "$(override_of "$_a")"; done
    for _j in "$STATE"/*.journal; do [ -e "$_j" ] && printf '%s ' "${_j##*/}"; done
}
# All given back: both functions on e1000e, no override, no journal of domain $1.
given_back() {
    printf '%s' "$(drivers "$NIC1A" "$NIC1B")$(override_of "$NIC1A") $(override_of "$NIC1B") $(journal_of "$1")"
}
GIVEN_BACK="e1000e e1000e (null) (null) (no journal)"

# dom_xml NAME ADDRESS [EXTRA]: a transient domain without OS or disk, ADDRESS its managed
# hostdev; EXTRA goes last (a qemu:commandline).
dom_xml() {
    _bus=${2#*:}; _bus=${_bus%%:*}
    _slot=${2##*:}; _slot=${_slot%%.*}
    _fn=${2##*.}
    cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x$_bus' slot='0x$_slot' function='0x$_fn'/></source>
      <rom bar='off'/>
    </hostdev>
  </devices>${3:-}
</domain>
EOF
}

# create NAME ADDRESS [EXTRA]: `virsh create`; sets rc and out (what virsh printed, on one line),
# and mark (the libvirtd log's line count before it, for calls_since).
create() {
    dom_xml "$@" >"$LV/$1.xml"
    mark=$(wc -l <"$LVLOG")
    virsh create "$LV/$1.xml" >"$LV/$1.out" 2>&1
    rc=$?
    out=$(tr '\n' ' ' <"$LV/$1.out")
}
created() { [ "$rc" -eq 0 ] || fail "virsh create exited $rc: $out"; }
refused() {
    [ "$rc" -ne 0 ] || { fail "virsh create exited 0: $out"; return 1; }
    case $out in *"$1"*) ;; *) fail "virsh did not say '$1'; it said: $out" ;; esac
}
state_is() { _s=$(virsh domstate "$1" 2>&1); [ "$_s" = "$2" ] || fail "domstate $1: '$_s', not '$2'"; }

# The hook calls and libvirt's own detach and reattach of PCI devices, in the order libvirtd
# logged them since line $1, one per line: "hook DOMAIN OP SUBOP" or "libvirt: MESSAGE".
calls_since() {
    tail -n "+$(($1 + 1))" "$LVLOG" | sed -n \
        -e 's/.* : Calling hook [^ ]* id=\([^ ]*\) op=\([^ ]*\) subop=\([^ ]*\) .*/hook \1 \2 \3/p' \
        -e 's/.* : \(Detaching managed PCI device [^ ]*\)$/libvirt: \1/p' \
        -e 's/.* : \(Device [^ ]* is already bound to [^ ]*\)$/libvirt: \1/p' \
        -e 's/.* : \(Reattaching managed PCI device [^ ]*\)$/libvirt: \1/p' \
        -e 's/.* : \(Unbind from stub skipped for PCI device [^ ]*\)$/libvirt: \1/p'
}
# in_order FILE LINE...: every LINE is in FILE, each after the one before.
in_order() {
    _f=$1 _at=0
    shift
    for _want; do
        _n=$(awk -v at="$_at" -v w="$_want" 'NR > at && $0 == w { print NR; exit }' "$_f")
        [ -n "$_n" ] || { fail "'$_want' is not after line $_at of the calls: $(tr '\n' ';' <"$_f")"; return 1; }
        _at=$_n
    done
}
show_calls() { sed "s/^/       $1: /" "$2"; }
said() { echo "       virsh said: $out"; }

lvd_start() {
    libvirtd -d -f "$LV/libvirtd.conf" -p "$LVPID" || return 1
    for _ in $(seq 1 300); do
        virsh list >/dev/null 2>&1 && return 0
        sleep 1
    done
    fail "libvirtd did not answer virsh list within 300 s; its log: $(tail -n 20 "$LVLOG")"
}
lvd_stop() {
    _p=$(cat "$LVPID" 2>/dev/null) || { fail "no $LVPID"; return 1; }
    kill "$_p" || return 1
    for _ in $(seq 1 1500); do
        [ -d "/proc/$_p" ] || return 0
        sleep 0.2
    done
    fail "libvirtd (pid $_p) still runs 300 s after SIGTERM"
}
lvd_restart() { lvd_stop && lvd_start; }

# --- libvirtd as Debian installs it, a minimal config, no hook yet -----------------------------
rm -f /etc/libvirt/hooks/qemu /etc/libvirt/hooks/qemu.d/one-pci /etc/libvirt/qemu/networks/autostart/*
rm -rf /var/lib/one-pci
cat >/etc/libvirt/qemu.conf <<'EOF'
security_driver = "none"
user = "root"
group = "root"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
cat >"$LV/libvirtd.conf" <<EOF
auth_unix_rw = "none"
auth_unix_ro = "none"
log_filters = "1:util.hook 1:util.hostdev 1:util.pci"
log_outputs = "1:file:$LVLOG"
EOF
: >"$LVLOG"
check "libvirtd $(libvirtd --version | awk '{ print $NF }') started by hand (no hook) answers virsh" lvd_start

# --- without the hook: QEMU refuses the group ---------------------------------------------------
create lv-nohook "$NIC1A"
check "without the hook: virsh create of a domain with $NIC1A fails with QEMU's 'vfio $NIC1A: group $GROUP is not viable'" \
    refused "vfio $NIC1A: group $GROUP is not viable"
said
expect_eq "without the hook: libvirt gave $NIC1A back, both on e1000e, no override" "e1000e e1000e (null) (null)" \
    "$(drivers "$NIC1A" "$NIC1B")$(override_of "$NIC1A") $(override_of "$NIC1B")"

# --- the hook, by install.sh --host -------------------------------------------------------------
# install.sh --jar (once it has it) installs this jar where the hook runs it from; before that,
# the hook runs the copy `onehost sync` puts in /var/tmp/one, put there here as sync would.
if sh "$REPO/install.sh" --help 2>&1 | grep -q -- '--jar'; then
    set -- --jar "$JAR"
else
    set --
    mkdir -p /var/tmp/one/im/kvm-probes.d/host/system
    cp "$JAR" /var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar
fi
check "install.sh --host $*: exits 0" sh "$REPO/install.sh" --host "$@"
HOOKED=/etc/libvirt/hooks/qemu.d/one-pci
hook_installed() { { [ -x "$HOOKED" ] && [ "$(stat -c %U "$HOOKED")" = root ]; } || fail "$(ls -l "$HOOKED" 2>&1)"; }
check "install.sh --host put the hook in $HOOKED, root's, executable" hook_installed
check "libvirtd restarted (it reads the hooks at start)" lvd_restart

# --- with the hook: the domain runs -------------------------------------------------------------
create lv-a "$NIC1A"
check "virsh create lv-a with $NIC1A: exits 0" created
calls_since "$mark" >"$LV/lv-a.start.calls"
check "virsh domstate lv-a: running" state_is lv-a running
expect_eq "lv-a running: $NIC1A and its sibling $NIC1B on vfio-pci" "vfio-pci vfio-pci " "$(drivers "$NIC1A" "$NIC1B")"
QEMU_PID=$(cat /run/libvirt/qemu/lv-a.pid 2>/dev/null)
check "lv-a's QEMU (pid $QEMU_PID) holds /dev/vfio/$GROUP open" sh -c \
    "ls -l /proc/$QEMU_PID/fd | grep -q ' -> /dev/vfio/$GROUP\$' || { ls -l /proc/$QEMU_PID/fd; exit 1; }"
NIC_ID=$(sed 's/^0x//' "/sys/bus/pci/devices/$NIC1A/vendor"):$(sed 's/^0x//' "/sys/bus/pci/devices/$NIC1A/device")
info_pci=$(virsh qemu-monitor-command lv-a --hmp 'info pci' 2>&1 | tr -d '\r')
expect_eq "QEMU's 'info pci': hostdev0 is an Ethernet controller $NIC_ID (the e1000e)" \
    "Ethernet controller: PCI device $NIC_ID" \
    "$(printf '%s\n' "$info_pci" | awk '/^    [^ ]/ { dev = $0; sub(/^ +/, "", dev) } /id "hostdev0"/ { print dev }')"
echo "       calls while lv-a started:"; show_calls lv-a "$LV/lv-a.start.calls"
check "order: hook prepare begin before libvirt's managed detach, which finds $NIC1A already on vfio-pci" \
    in_order "$LV/lv-a.start.calls" "hook lv-a prepare begin" "libvirt: Detaching managed PCI device $NIC1A" \
    "libvirt: Device $NIC1A is already bound to vfio-pci"

# --- the sibling, asked for by a second domain while the first runs ----------------------------
before=$(snapshot "$NIC1A" "$NIC1B")
create lv-b "$NIC1B"
calls_since "$mark" >"$LV/lv-b.calls"
check "virsh create lv-b with $NIC1B while lv-a runs: refused, virsh names the holder lv-a" \
    refused "$NIC1B: is held by running domain lv-a"
said
check "after lv-b's refusal lv-a is still running" state_is lv-a running
expect_eq "lv-b's refusal changed nothing (drivers, overrides, journals)" "$before" "$(snapshot "$NIC1A" "$NIC1B")"
echo "       calls for lv-b:"; show_calls lv-b "$LV/lv-b.calls"

# --- libvirtd restarted while lv-a runs ---------------------------------------------------------
before=$(journal_of lv-a)
check "libvirtd restarted while lv-a runs" lvd_restart
check "after the restart: virsh domstate lv-a: running" state_is lv-a running
expect_eq "after the restart: lv-a's QEMU is the same process" "pid ${QEMU_PID:-none}" "pid $(cat /run/libvirt/qemu/lv-a.pid 2>/dev/null)"
expect_eq "after the restart: both still on vfio-pci, overrides vfio-pci, lv-a's journal unchanged" \
    "vfio-pci vfio-pci vfio-pci vfio-pci $before" \
    "$(drivers "$NIC1A" "$NIC1B")$(override_of "$NIC1A") $(override_of "$NIC1B") $(journal_of lv-a)"

# --- virsh destroy gives everything back -------------------------------------------------------
mark=$(wc -l <"$LVLOG")
check "virsh destroy lv-a: exits 0" virsh destroy lv-a
calls_since "$mark" >"$LV/lv-a.stop.calls"
expect_eq "after destroy: both on e1000e, driver_override cleared, lv-a's journal gone" "$GIVEN_BACK" "$(given_back lv-a)"
echo "       calls while lv-a stopped:"; show_calls lv-a "$LV/lv-a.stop.calls"
check "order: libvirt's reattach (no unbind: the device is on vfio-pci) before hook release end" \
    in_order "$LV/lv-a.stop.calls" "libvirt: Reattaching managed PCI device $NIC1A" \
    "libvirt: Unbind from stub skipped for PCI device $NIC1A" "hook lv-a release end"

# --- a refusal of ours: the sibling carries the default route -----------------------------------
NIC1B_IF=$(ls "/sys/bus/pci/devices/$NIC1B/net")
busybox ip link set "$NIC1B_IF" up
busybox ip route add default dev "$NIC1B_IF"
before=$(snapshot "$NIC1A" "$NIC1B")
create lv-r "$NIC1A"
check "virsh create lv-r with $NIC1A while its sibling carries the default route: refused, virsh says why" \
    refused "$NIC1B: carries $NIC1B_IF, the interface of the host's default route"
said
expect_eq "lv-r's refusal changed nothing (drivers, overrides, journals)" "$before" "$(snapshot "$NIC1A" "$NIC1B")"
busybox ip route del default dev "$NIC1B_IF"
busybox ip link set "$NIC1B_IF" down

# --- QEMU dies right after prepare --------------------------------------------------------------
create lv-d "$NIC1A" "
  <qemu:commandline><qemu:arg value='-device'/><qemu:arg value='no-such-device'/></qemu:commandline>"
calls_since "$mark" >"$LV/lv-d.calls"
check "virsh create lv-d whose QEMU fails at start ('-device no-such-device'): fails with QEMU's message" \
    refused "'no-such-device' is not a valid device model name"
said
expect_eq "lv-d: libvirt's release end gave everything back (e1000e, no override, no journal)" "$GIVEN_BACK" "$(given_back lv-d)"
echo "       calls for lv-d:"; show_calls lv-d "$LV/lv-d.calls"
check "order for lv-d: prepare begin, libvirt's detach finds it on vfio-pci, its reattach skips the unbind, release end" \
    in_order "$LV/lv-d.calls" "hook lv-d prepare begin" "libvirt: Detaching managed PCI device $NIC1A" \
    "libvirt: Device $NIC1A is already bound to vfio-pci" "libvirt: Reattaching managed PCI device $NIC1A" \
    "libvirt: Unbind from stub skipped for PCI device $NIC1A" "hook lv-d release end"

lvd_stop
echo "       every hook call and managed detach/reattach, with libvirtd's times (UTC):"
grep -E 'Calling hook|managed PCI device' "$LVLOG" |
    sed 's/^[^ ]* \([0-9:.]*\)+0000: [0-9]*: debug : [^ ]* : /       \1 /; s/ extra=-$//'
