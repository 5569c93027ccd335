package onepci.pciids;

import java.util.Map;

/**
 * Names from the PCI ID database for a set of ids, with lspci's words for what it lacks.
 *
 * <p>Keys: a vendor id; {@code vendor << 16 | device}; a 16-bit class ({@code 0x0302}) for a
 * subclass name and {@code 0x10000 | class} for a base class name.
 */
public final class PciNames {

  private final Map<Integer, String> vendors;
  private final Map<Integer, String> devices;
  private final Map<Integer, String> classes;

  PciNames(Map<Integer, String> vendors, Map<Integer, String> devices, Map<Integer, String> classes) {
    this.vendors = Map.copyOf(vendors);
    this.devices = Map.copyOf(devices);
    this.classes = Map.copyOf(classes);
  }

  /** No database at all: every name is lspci's placeholder. */
  public static PciNames none() {
    return new PciNames(Map.of(), Map.of(), Map.of());
  }

  public String vendor(int vendor) {
    return vendors.getOrDefault(vendor, "Vendor");
  }

  public String device(int vendor, int device) {
    return devices.getOrDefault(vendor << 16 | device, "Device");
  }

  /** The subclass name, else the base class name, else {@code Class}. */
  public String className(int classId) {
    String sub = classes.get(classId);
    if (sub != null) {
      return sub;
    }
    return classes.getOrDefault(0x10000 | (classId >>> 8), "Class");
  }
}
