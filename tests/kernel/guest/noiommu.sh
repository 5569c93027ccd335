# Scenario (guest booted with intel_iommu=off and no vIOMMU): what must see the IOMMU off.
expect_eq "bed: no IOMMU groups without an IOMMU" 0 "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
noiommu_groups=$(one_pci probe --filter '*:*' | sed -n 's/^ IOMMU_GROUP = "\(.*\)".*/\1/p' | sort -u | tr '\n' ' ')
expect_eq "probe without an IOMMU: IOMMU_GROUP is '-' for every device" "- " "$noiommu_groups"
