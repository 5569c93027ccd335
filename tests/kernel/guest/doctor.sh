# Scenario: doctor sees the IOMMU this guest was booted with (intel-iommu, intel_iommu=on).
# Sourced by suite.
one_pci doctor --json >/tmp/doctor.json 2>/tmp/doctor.err
doctor_rc=$?
check "doctor --json exits 0, 1 or 2" sh -c "[ $doctor_rc -le 2 ] || { cat /tmp/doctor.err; exit 1; }"
check "doctor --json: iommu passes with the IOMMU on" doctor_says iommu pass
check "doctor --json: kernel-cmdline passes (intel_iommu=on on an Intel CPU)" doctor_says kernel-cmdline pass
check "doctor --json: iommu-pt passes (iommu=pt)" doctor_says iommu-pt pass
