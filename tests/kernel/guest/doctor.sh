# Scenario: doctor sees the IOMMU this guest was booted with (intel-iommu, intel_iommu=on).
# Sourced by suite.
one_pci doctor --json >/tmp/doctor.json 2>/tmp/doctor.err
doctor_rc=$?
check "doctor --json exits 0, 1 or 2" sh -c "[ $doctor_rc -le 2 ] || { cat /tmp/doctor.err; exit 1; }"
check "doctor --json: iommu passes with the IOMMU on" doctor_says iommu pass
check "doctor --json: kernel-cmdline passes (intel_iommu=on on an Intel CPU)" doctor_says kernel-cmdline pass
check "doctor --json: iommu-pt passes (iommu=pt)" doctor_says iommu-pt pass

# doctor judges devices by the vfio engine's own rules: with every device offered ('*:*'), the
# AHCI controller holding /mnt/disk and the PCIe ports are not passable, and no fix binds them.
star_disk=$(awk '$2 == "/mnt/disk" { print $1 }' /proc/mounts)
STAR_AHCI=$(readlink -f "/sys/class/block/${star_disk#/dev/}" | tr '/' '\n' |
    grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' | tail -n 1)
STAR_PORT=$(grep -l '^0x0604' /sys/bus/pci/devices/*/class | head -n 1 | xargs dirname | xargs basename)
printf ":filter: '*:*'\n" >/tmp/star.conf
one_pci doctor --json --config /tmp/star.conf >/tmp/doctor-star.json 2>/tmp/doctor-star.err
check "doctor, filter '*:*': the AHCI controller $STAR_AHCI holding /mnt/disk is not passable" \
    grep -qE "\"name\":\"passable\",\"status\":\"fail\",\"subject\":\"$STAR_AHCI\",\"message\":\"[^\"]*: holds [^\"]*, mounted on /mnt/disk" /tmp/doctor-star.json
check "doctor, filter '*:*': the PCIe port $STAR_PORT is not passable (a bridge or port)" \
    grep -qE "\"name\":\"passable\",\"status\":\"fail\",\"subject\":\"$STAR_PORT\",\"message\":\"[^\"]*is a PCI bridge or port" /tmp/doctor-star.json
check "doctor, filter '*:*': no fix binds $STAR_AHCI or $STAR_PORT to vfio-pci" \
    sh -c "! grep -qE 'driverctl set-override ($STAR_AHCI|$STAR_PORT)' /tmp/doctor-star.json"
