# Scenario (guest booted with intel_iommu=off and no vIOMMU): what must see the IOMMU off.
# Sourced by suite.
expect_eq "bed: no IOMMU groups without an IOMMU" 0 "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"

noiommu_groups=$(one_pci probe --filter '*:*' 2>/tmp/probe.err | sed -n 's/^ IOMMU_GROUP = "\(.*\)".*/\1/p' | sort -u | tr '\n' ' ')
expect_eq "probe without an IOMMU: IOMMU_GROUP is '-' for every device" "- " "$noiommu_groups"

one_pci doctor --json >/tmp/doctor.json 2>/tmp/doctor.err
doctor_rc=$?
expect_eq "doctor --json without an IOMMU exits 2 (a failure)" 2 "$doctor_rc"
check "doctor --json: iommu fails without an IOMMU" doctor_says iommu fail

if [ -x "$HOOK" ]; then
    NIC0=$(nic_by_mac 52:54:00:00:00:10)
    check "prepare begin one-a without an IOMMU: refused" sh -c \
        "! { . '$REPO/tests/kernel/guest/lib.sh'; domain_xml one-a $NIC0 | '$HOOK' one-a prepare begin -; }"
    expect_eq "refused without an IOMMU: $NIC0 still on e1000e, no override" "e1000e (null)" \
        "$(driver_of "$NIC0") $(cat "/sys/bus/pci/devices/$NIC0/driver_override")"
fi
