package onepci.doctor;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The CPU maker, from {@code proc/cpuinfo}: it decides which kernel parameter turns the IOMMU on. */
enum CpuVendor {
  INTEL("intel_iommu=on", "Intel VT-d"),
  AMD("amd_iommu=on", "AMD-Vi (IOMMU)"),
  UNKNOWN("intel_iommu=on (Intel) or amd_iommu=on (AMD)", "VT-d or AMD-Vi");

  private static final Pattern VENDOR_ID = Pattern.compile("(?m)^vendor_id\\s*:\\s*(\\S+)");

  /** The parameter the guide adds to the kernel command line for this vendor; both when unknown. */
  final String parameter;
  /** What the firmware setup calls the IOMMU. */
  final String firmwareName;

  CpuVendor(String parameter, String firmwareName) {
    this.parameter = parameter;
    this.firmwareName = firmwareName;
  }

  static CpuVendor fromCpuinfo(String cpuinfo) {
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
