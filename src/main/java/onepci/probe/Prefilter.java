package onepci.probe;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import onepci.conf.PciConf;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciId;
import onepci.sysfs.ProcPciDevices;
import onepci.sysfs.SysfsReader;

/**
 * The functions pci.conf's filter certainly rejects, found before their folders are opened, so
 * that the probe's work follows what it reports and not the size of the host.
 *
 * <p>The ids come from {@code /proc/bus/pci/devices} (one read for the whole host); the class,
 * when a filter asks for one, from the function's {@code class} file. That list has no PCI
 * domain, so its answer is used only where it is exact: when it lists a bus, slot and function as
 * many times as sysfs has addresses with them. A function is left out only when no filter can
 * select it; everything else (no usable list, a count that differs, an unreadable {@code class})
 * goes on to the full check of its folder, as if the list were not there. Without the list (a
 * container without {@code /proc/bus/pci}, a fixture tree) nothing is left out here.
 */
final class Prefilter {

  private static final Prefilter NONE = new Prefilter(null, null, null, null);

  private final SysfsReader reader;
  private final PciConf conf;
  private final ProcPciDevices list;
  private final int[] sysfsCount;

  private Prefilter(SysfsReader reader, PciConf conf, ProcPciDevices list, int[] sysfsCount) {
    this.reader = reader;
    this.conf = conf;
    this.list = list;
    this.sysfsCount = sysfsCount;
  }

  /** For the addresses sysfs lists; reads the kernel's list unless the filter takes everything. */
  static Prefilter of(SysfsReader reader, PciConf conf, List<PciAddress> addresses) {
    if (conf.selectsEverything()) {
      return NONE;
    }
    Optional<ProcPciDevices> list = ProcPciDevices.read(reader.paths().procBusPciDevices());
    if (list.isEmpty()) {
      return NONE;
    }
    int[] count = new int[1 << 16];
    for (PciAddress a : addresses) {
      count[ProcPciDevices.key(a)]++;
    }
    return new Prefilter(reader, conf, list.get(), count);
  }

  /** Whether the filter certainly rejects the function at this address. */
  boolean leavesOut(PciAddress a) {
    if (list == null) {
      return false;
    }
    int key = ProcPciDevices.key(a);
    if (list.count(key) != sysfsCount[key]) {
      return false;
    }
    int[] ids = list.ids(key);
    if (ids.length != 1) {
      for (int id : ids) {
        if (conf.selectsIds(id >>> 16, id & 0xffff)) {
          return false;
        }
      }
      return true;
    }
    int vendor = ids[0] >>> 16;
    int device = ids[0] & 0xffff;
    if (!conf.selectsIds(vendor, device)) {
      return true;
    }
    if (!conf.needsClass(vendor, device)) {
      return false;
    }
    OptionalInt classCode = reader.classCode(a);
    return classCode.isPresent() && !conf.selects(new PciId(vendor, device, classCode.getAsInt()));
  }
}
