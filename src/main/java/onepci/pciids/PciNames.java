package onepci.pciids;

import java.util.Map;
import java.util.Optional;

/**
 * Device names as libpci resolves them ({@code lib/names.c}): from the PCI ID database first,
 * then from udev's hardware database for what it lacks, then lspci's words ({@code Vendor},
 * {@code Device}, {@code Class}).
 *
 * <p>Keys of the pci.ids names: a vendor id; {@code vendor << 16 | device}; a 16-bit class
 * ({@code 0x0302}) for a subclass name and {@code 0x10000 | class} for a base class name.
 */
public final class PciNames {

  private final Map<Integer, String> vendors;
  private final Map<Integer, String> devices;
  private final Map<Integer, String> classes;
  // asked with isPresent()/get(), not flatMap(lambda): a lambda's first call bootstraps
  // invokedynamic, milliseconds of the probe's start-up
  private final Optional<HwdbNames> hwdb;

  PciNames(Map<Integer, String> vendors, Map<Integer, String> devices, Map<Integer, String> classes) {
    this(vendors, devices, classes, Optional.empty());
  }

  private PciNames(
      Map<Integer, String> vendors, Map<Integer, String> devices, Map<Integer, String> classes, Optional<HwdbNames> hwdb) {
    this.vendors = Map.copyOf(vendors);
    this.devices = Map.copyOf(devices);
    this.classes = Map.copyOf(classes);
    this.hwdb = hwdb;
  }

  /** No database at all: every name is lspci's placeholder. */
  public static PciNames none() {
    return new PciNames(Map.of(), Map.of(), Map.of());
  }

  /** These names, with udev's hardware database asked for what they lack. */
  PciNames withHwdb(HwdbNames names) {
    return new PciNames(vendors, devices, classes, Optional.of(names));
  }

  public String vendor(int vendor) {
    String name = vendors.get(vendor);
    if (name != null) {
      return name;
    }
    return hwdb.isPresent() ? hwdb.get().vendor(vendor).orElse("Vendor") : "Vendor";
  }

  public String device(int vendor, int device) {
    String name = devices.get(vendor << 16 | device);
    if (name != null) {
      return name;
    }
    return hwdb.isPresent() ? hwdb.get().device(vendor, device).orElse("Device") : "Device";
  }

  /**
   * The subclass name, else the base class name, else {@code Class}; each from pci.ids, then
   * from the hardware database (libpci asks for the subclass in both before the base class).
   */
  public String className(int classId) {
    String sub = classes.get(classId);
    if (sub != null) {
      return sub;
    }
    Optional<String> fromHwdb = hwdb.isPresent() ? hwdb.get().subclass(classId) : Optional.empty();
    if (fromHwdb.isPresent()) {
      return fromHwdb.get();
    }
    String base = classes.get(0x10000 | (classId >>> 8));
    if (base != null) {
      return base;
    }
    return hwdb.isPresent() ? hwdb.get().baseClass(classId >>> 8).orElse("Class") : "Class";
  }
}
