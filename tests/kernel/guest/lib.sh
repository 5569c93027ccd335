# Check library for the guest suite (POSIX sh; sourced by suite).
#   check NAME CMD [ARG...]   runs CMD; passes when it exits 0. On failure prints CMD's output.
#   expect_eq NAME WANT GOT   passes when the two strings are equal.
PASSED=0
FAILED=0
_last=$(cut -d' ' -f1 /proc/uptime)

# Sets _took to the seconds since the previous result line, to find slow steps (never asserted).
took() {
    _now=$(cut -d' ' -f1 /proc/uptime)
    _took=$(awk -v a="$_last" -v b="$_now" 'BEGIN { printf "%.1fs", b - a }')
    _last=$_now
}

pass_line() { took; PASSED=$((PASSED + 1)); echo "ok   $1 [$_took]"; }
fail_line() { took; FAILED=$((FAILED + 1)); echo "FAIL $1 [$_took]"; }

check() {
    _name=$1
    shift
    if _out=$("$@" 2>&1); then
        pass_line "$_name"
    else
        fail_line "$_name"
        printf '%s\n' "$_out" | sed 's/^/       /'
    fi
}

expect_eq() {
    if [ "$2" = "$3" ]; then
        pass_line "$1"
    else
        fail_line "$1"
        echo "       want: $2"
        echo "       got:  $3"
    fi
}

# Prints to stderr and fails: the last line of a check's command.
fail() { echo "$*" >&2; return 1; }

# --- facts from the guest kernel ---------------------------------------------------------------

# The PCI address (0000:bb:ss.f) of the e1000e whose MAC is $1.
nic_by_mac() {
    for n in /sys/class/net/*; do
        [ "$(cat "$n/address" 2>/dev/null)" = "$1" ] || continue
        basename "$(readlink -f "$n/device")"
        return 0
    done
    fail "no network interface has MAC $1"
}

driver_of() {
    [ -e "/sys/bus/pci/devices/$1/driver" ] || { echo none; return 0; }
    basename "$(readlink -f "/sys/bus/pci/devices/$1/driver")"
}

group_of() { basename "$(readlink -f "/sys/bus/pci/devices/$1/iommu_group")"; }

# The hostdev XML libvirt hands the hook, for one domain and one or more PCI addresses.
domain_xml() {
    _dom=$1
    shift
    printf '<domain type="kvm">\n  <name>%s</name>\n  <devices>\n' "$_dom"
    for _a in "$@"; do
        _bus=${_a#*:}; _bus=${_bus%%:*}
        _slot=${_a##*:}; _slot=${_slot%%.*}
        _fn=${_a##*.}
        printf "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        printf "      <source><address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/></source>\n" "$_bus" "$_slot" "$_fn"
        printf "    </hostdev>\n"
    done
    printf '  </devices>\n</domain>\n'
}

# hook DOMAIN OPERATION SUB-OPERATION ADDRESS...: runs $HOOK as libvirt does, the XML on stdin.
hook() {
    _d=$1 _op=$2 _sub=$3
    shift 3
    domain_xml "$_d" "$@" | "$HOOK" "$_d" "$_op" "$_sub" -
}

override_of() { cat "/sys/bus/pci/devices/$1/driver_override"; }
drivers() { for _a; do printf '%s ' "$(driver_of "$_a")"; done; }
# The journal of domain $1 in the hook's state folder, or "(no journal)".
journal_of() { cat "/run/one-pci/$1.journal" 2>/dev/null || echo "(no journal)"; }

# doctor_says NAME STATUS: /tmp/doctor.json (doctor --json) has check NAME with STATUS.
doctor_says() {
    grep -q "\"name\":\"$1\",\"status\":\"$2\"" /tmp/doctor.json && return 0
    fail "doctor --json has no {\"name\":\"$1\",\"status\":\"$2\"}; it printed: $(grep -o "{\"name\":\"$1\"[^}]*}" /tmp/doctor.json || head -c 600 /tmp/doctor.json)"
}
