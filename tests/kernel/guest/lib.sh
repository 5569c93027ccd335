# Check library for the guest suite (POSIX sh; sourced by suite).
#   check NAME CMD [ARG...]   runs CMD; passes when it exits 0. On failure prints CMD's output.
#   expect_eq NAME WANT GOT   passes when the two strings are equal.
PASSED=0
FAILED=0

check() {
    _name=$1
    shift
    if _out=$("$@" 2>&1); then
        PASSED=$((PASSED + 1))
        echo "ok   $_name"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $_name"
        printf '%s\n' "$_out" | sed 's/^/       /'
    fi
}

expect_eq() {
    if [ "$2" = "$3" ]; then
        PASSED=$((PASSED + 1))
        echo "ok   $1"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $1"
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
