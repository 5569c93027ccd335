package onepci.vfio;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.SysfsReader;

/**
 * {@code vfio status}: every device on vfio-pci (or a variant) or held in a journal, with its
 * IOMMU group, its driver now, the domain holding it and the driver release gives it back to.
 */
public final class VfioStatus {

  private static final String FORMAT = "%-14s %-6s %-16s %-16s %s%n";

  private final HostPaths paths;

  public VfioStatus(HostPaths paths) {
    this.paths = paths;
  }

  public void print(PrintStream out) throws IOException {
    SysfsReader reader = new SysfsReader(paths);
    Map<PciAddress, String[]> rows = new TreeMap<>();
    Map<PciAddress, JournalEntry> held = new TreeMap<>();
    Map<PciAddress, String> holder = new TreeMap<>();
    for (Journal j : Journal.all(paths.vfioState())) {
      for (JournalEntry e : j.entries()) {
        held.put(e.address(), e);
        holder.put(e.address(), j.domain());
      }
    }
    List<PciAddress> all = hasPciBus(paths) ? reader.list() : List.of();
    for (PciAddress a : all) {
      Optional<String> driver = reader.linkName(a, "driver");
      if (VfioDrivers.isVfio(driver) || held.containsKey(a)) {
        rows.put(a, row(reader, a, driver, held.get(a), holder.get(a)));
      }
    }
    for (PciAddress a : held.keySet()) {
      rows.computeIfAbsent(a, x -> row(reader, x, Optional.empty(), held.get(x), holder.get(x)));
    }
    if (rows.isEmpty()) {
      out.println("no device is on vfio-pci or held by a domain");
      return;
    }
    out.printf(FORMAT, "ADDRESS", "GROUP", "DRIVER", "DOMAIN", "RELEASE GIVES BACK TO");
    for (String[] r : rows.values()) {
      out.printf(FORMAT, (Object[]) r);
    }
  }

  private static boolean hasPciBus(HostPaths paths) {
    return java.nio.file.Files.isDirectory(paths.pciDevices());
  }

  private static String[] row(SysfsReader reader, PciAddress a, Optional<String> driver, JournalEntry e, String domain) {
    var g = reader.iommuGroup(a);
    String back;
    if (e == null) {
      back = "- (not bound by one-pci)";
    } else if (e.bound()) {
      back = e.driver().orElse("no driver");
    } else {
      back = "- (stays as it is)";
    }
    return new String[] {
      a.toString(),
      g.isPresent() ? Integer.toString(g.getAsInt()) : "-",
      driver.orElse("none"),
      domain == null ? "-" : domain,
      back
    };
  }
}
