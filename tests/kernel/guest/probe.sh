# Scenario: the probe reports, for every PCI device of the guest, the NUMA node and IOMMU group
# the guest kernel itself gives it. Sourced by suite.

# The bed is what it claims to be: otherwise the comparisons below prove little.
NIC0=$(nic_by_mac 52:54:00:00:00:10)
NIC1A=$(nic_by_mac 52:54:00:00:00:1a)
NIC1B=$(nic_by_mac 52:54:00:00:00:1b)
NIC2=$(nic_by_mac 52:54:00:00:00:20)
expect_eq "bed: the expander bus puts nic2 ($NIC2) on NUMA node 1" 1 "$(cat "/sys/bus/pci/devices/$NIC2/numa_node")"
expect_eq "bed: the expander bus puts nic0 ($NIC0) on NUMA node 0" 0 "$(cat "/sys/bus/pci/devices/$NIC0/numa_node")"
expect_eq "bed: the multifunction pair $NIC1A, $NIC1B shares one IOMMU group" "$(group_of "$NIC1A")" "$(group_of "$NIC1B")"

probe_out=$(one_pci probe --filter '*:*' 2>/tmp/probe.err)
probe_rc=$?
check "probe --filter '*:*' exits 0" sh -c "[ $probe_rc -eq 0 ] || { cat /tmp/probe.err; exit 1; }"
# readiness, from the same run: every device offered (ports, the AHCI controller holding /mnt/disk)
# and no one-pci hook yet (hooks.sh installs it): not ready, and the missing hook is named
readiness_of() { printf '%s\n' "$1" | sed -n "s/^$2 = \"\(.*\)\"\$/\1/p"; }
expect_eq "probe --filter '*:*' before the hook is installed: PCI_PASSTHROUGH is NOT_READY, the hook named" \
    "NOT_READY libvirt-hook" \
    "$(readiness_of "$probe_out" PCI_PASSTHROUGH) $(readiness_of "$probe_out" PCI_PASSTHROUGH_ISSUES | grep -o 'libvirt-hook: no /etc/libvirt/hooks/qemu.d/one-pci' | cut -d: -f1)"

# One line per device the probe printed: sysfs-name numa group local-cpus ifname.
probe_table=$(printf '%s\n' "$probe_out" | awk -F' = ' '
    /^PCI = \[/ { d = ""; s = ""; n = ""; g = ""; c = ""; i = "" }
    { v = $2; sub(/ *,? *$/, "", v); gsub(/"/, "", v) }
    $1 == " DOMAIN" { d = v }  $1 == " SHORT_ADDRESS" { s = v }
    $1 == " NUMA_NODE" { n = v }  $1 == " IOMMU_GROUP" { g = v }
    $1 == " LOCAL_CPUS" { c = v }  $1 == " IFNAME" { i = v }
    /^\]/ { print d ":" s, n, g, (c == "" ? "-" : c), i }')

expect_eq "probe lists every PCI device the kernel has" \
    "$(ls /sys/bus/pci/devices | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$probe_table" | awk '{ print $1 }' | sort | tr '\n' ' ')"

sysfs_numa() {
    n=$(cat "/sys/bus/pci/devices/$1/numa_node")
    [ "$n" -ge 0 ] 2>/dev/null && echo "$n" || echo -
}
sysfs_group() {
    [ -e "/sys/bus/pci/devices/$1/iommu_group" ] && group_of "$1" || echo -
}

for d in /sys/bus/pci/devices/*; do
    dev=${d##*/}
    got=$(printf '%s\n' "$probe_table" | awk -v a="$dev" '$1 == a { print "NUMA_NODE=" $2 " IOMMU_GROUP=" $3 " LOCAL_CPUS=" $4 }')
    want="NUMA_NODE=$(sysfs_numa "$dev") IOMMU_GROUP=$(sysfs_group "$dev") LOCAL_CPUS=$(cat "/sys/bus/pci/devices/$dev/local_cpulist")"
    expect_eq "probe $dev: $want" "$want" "$got"
done

for mac in 52:54:00:00:00:10 52:54:00:00:00:20; do
    dev=$(nic_by_mac "$mac")
    set -- "/sys/bus/pci/devices/$dev"/net/*
    ifname=${1##*/}
    expect_eq "probe IFNAME of $dev is the kernel's $ifname" "$ifname" \
        "$(printf '%s\n' "$probe_table" | awk -v a="$dev" '$1 == a { print $5 }')"
done

# With a vendor and a class filter the probe decides from the kernel's /proc/bus/pci/devices and
# opens only the candidates' folders: it must list exactly the functions the kernel's own vendor
# and class files select (one run: each probe run under TCG takes seconds).
check "the guest kernel lists its PCI functions in /proc/bus/pci/devices" grep -q . /proc/bus/pci/devices
want=
for d in /sys/bus/pci/devices/*; do
    case $(cat "$d/vendor"):$(cat "$d/class") in
        0x1b36:* | *:0x0200*) want="$want${d##*/} " ;;
    esac
done
got=$(one_pci probe --filter '1b36:*,::0200' 2>/tmp/probe.err | awk -F' = ' '
    { v = $2; sub(/ *,? *$/, "", v); gsub(/"/, "", v) }
    $1 == " DOMAIN" { d = v }  $1 == " SHORT_ADDRESS" { s = v }
    /^\]/ { print d ":" s }' | sort | tr '\n' ' ')
expect_eq "probe --filter '1b36:*,::0200' lists the kernel's functions of it: $want" "$want" "$got"
