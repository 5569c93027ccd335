# Scenario (guest booted with intel_iommu=off and no vIOMMU): what must see the IOMMU off.
# Sourced by suite.
expect_eq "bed: no IOMMU groups without an IOMMU" 0 "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"

noiommu_out=$(one_pci probe --filter '*:*' 2>/tmp/probe.err)
noiommu_groups=$(printf '%s\n' "$noiommu_out" | sed -n 's/^ IOMMU_GROUP = "\(.*\)".*/\1/p' | sort -u | tr '\n' ' ')
expect_eq "probe without an IOMMU: IOMMU_GROUP is '-' for every device" "- " "$noiommu_groups"
expect_eq "probe without an IOMMU: PCI_PASSTHROUGH is NOT_READY, the iommu check named, every device blocked" \
    "NOT_READY iommu $(ls /sys/bus/pci/devices | wc -l)" \
    "$(printf '%s\n' "$noiommu_out" | sed -n 's/^PCI_PASSTHROUGH = "\(.*\)"$/\1/p') $(printf '%s\n' "$noiommu_out" | sed -n 's/^PCI_PASSTHROUGH_ISSUES = "\(iommu\): .*/\1/p') $(printf '%s\n' "$noiommu_out" | sed -n 's/^PCI_PASSTHROUGH_BLOCKED = "\(.*\)"$/\1/p' | tr ',' '\n' | grep -c .)"

one_pci doctor --json >/tmp/doctor.json 2>/tmp/doctor.err
doctor_rc=$?
expect_eq "doctor --json without an IOMMU exits 2 (a failure)" 2 "$doctor_rc"
check "doctor --json: iommu fails without an IOMMU" doctor_says iommu fail

if [ -x "$HOOK" ]; then
    NIC0=$(nic_by_mac 52:54:00:00:00:10)
    # the hook as install.sh --host installs it: it runs only a root-owned jar, which a checkout
    # under /tmp (as CI may clone it) is not
    "$REPO/install.sh" --host >/tmp/install.out 2>&1 || cat /tmp/install.out
    check "prepare begin one-a without an IOMMU: refused because the IOMMU is off" sh -c \
        "! { . '$REPO/tests/kernel/guest/lib.sh'; domain_xml one-a $NIC0 |
             /etc/libvirt/hooks/qemu.d/one-pci one-a prepare begin - >/tmp/one-a.out 2>&1; } &&
         grep -q 'the IOMMU is off' /tmp/one-a.out || { cat /tmp/one-a.out; exit 1; }"
    expect_eq "refused without an IOMMU: $NIC0 still on e1000e, no override" "e1000e (null)" \
        "$(driver_of "$NIC0") $(cat "/sys/bus/pci/devices/$NIC0/driver_override")"
fi
