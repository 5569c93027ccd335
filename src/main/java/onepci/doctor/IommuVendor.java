package onepci.doctor;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whose IOMMU the host has, which decides the kernel parameter that turns it on: from the units
 * the kernel registered in {@code /sys/class/iommu} ({@code dmar*} for Intel VT-d, {@code ivhd*}
 * for AMD-Vi) when it did, else from the CPU vendor in {@code /proc/cpuinfo}.
 */
enum IommuVendor {
  INTEL("intel_iommu=on", "Intel VT-d"),
  AMD("amd_iommu=on", "AMD-Vi"),
  UNKNOWN("intel_iommu=on (Intel) or amd_iommu=on (AMD)", "VT-d or AMD-Vi");

  private static final Pattern VENDOR_ID = Pattern.compile("(?m)^vendor_id\\s*:\\s*(\\S+)");

  /** The parameter the guide adds to the kernel command line for this vendor; both when unknown. */
  final String parameter;
  /** What the firmware setup calls the IOMMU. */
  final String firmwareName;

  IommuVendor(String parameter, String firmwareName) {
    this.parameter = parameter;
    this.firmwareName = firmwareName;
  }

  /** From the names in {@code /sys/class/iommu}; empty when they tell nothing. */
  static java.util.Optional<IommuVendor> fromUnits(String[] names) {
    if (names != null) {
      for (String n : names) {
        if (n.startsWith("dmar")) {
          return java.util.Optional.of(INTEL);
        }
        if (n.startsWith("ivhd")) {
          return java.util.Optional.of(AMD);
        }
      }
    }
    return java.util.Optional.empty();
  }

  static IommuVendor fromCpuinfo(String cpuinfo) {
    Matcher m = VENDOR_ID.matcher(cpuinfo);
    if (!m.find()) {
      return UNKNOWN;
    }
    return switch (m.group(1)) {
      case "GenuineIntel" -> INTEL;
      case "AuthenticAMD", "HygonGenuine" -> AMD;
      default -> UNKNOWN;
    };
  }
}
