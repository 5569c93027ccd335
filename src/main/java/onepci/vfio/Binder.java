package onepci.vfio;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import onepci.io.IoFailure;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.SysfsReader;

/**
 * The sysfs recipe for one device, both ways, one logged write at a time.
 *
 * <p>Bind: {@code vfio-pci} to {@code driver_override}, the address to the old driver's
 * {@code unbind}, the address to {@code drivers_probe}, then check the {@code driver} link.
 * Restore: the old override (an empty line when there was none), unbind from vfio-pci, reprobe when
 * the device had a driver, then check it is back. Never {@code new_id}: it is global.
 *
 * <p>In a dry run each write is printed as the shell line that would make it, and nothing is
 * written or checked.
 */
public final class Binder {

  static final long SETTLE_MILLIS = 2000;

  private final HostPaths paths;
  private final SysfsReader reader;
  private final KernelWrites writes;
  private final ActionLog log;
  private final String domain;
  private final Optional<PrintStream> dryRun;

  /** @param dryRun where to print the writes instead of making them; empty to make them */
  public Binder(HostPaths paths, KernelWrites writes, ActionLog log, String domain, Optional<PrintStream> dryRun) {
    this.paths = paths;
    this.reader = new SysfsReader(paths);
    this.writes = writes;
    this.log = log;
    this.domain = domain;
    this.dryRun = dryRun;
  }

  public void bind(PciAddress a, int group) throws IOException {
    write(a, group, paths.pciDevice(a).resolve("driver_override"), VfioDrivers.VFIO_PCI);
    Optional<String> now = reader.linkName(a, "driver");
    if (now.isPresent()) {
      write(a, group, paths.pciDriver(now.get()).resolve("unbind"), a.toString());
    }
    write(a, group, paths.pciDriversProbe(), a.toString());
    if (dryRun.isEmpty()) {
      Optional<String> after = settle(a, VfioDrivers::isVfio);
      if (!VfioDrivers.isVfio(after)) {
        throw new IOException(a + ": not on vfio-pci after drivers_probe (driver: " + after.orElse("none")
            + "); fix: check 'dmesg' for vfio-pci errors (is the vfio-pci module loaded, is the IOMMU on?)");
      }
      log.action(domain, a + ": on vfio-pci (was " + now.orElse("unbound") + ")");
    }
  }

  /** Gives the device back what the journal says it had. */
  public void restore(JournalEntry e) throws IOException {
    PciAddress a = e.address();
    write(a, e.group(), paths.pciDevice(a).resolve("driver_override"), e.override().orElse(""));
    Optional<String> now = reader.linkName(a, "driver");
    if (now.isPresent() && !now.equals(e.driver())) {
      write(a, e.group(), paths.pciDriver(now.get()).resolve("unbind"), a.toString());
      now = Optional.empty();
    }
    if (e.driver().isPresent() && now.isEmpty()) {
      write(a, e.group(), paths.pciDriversProbe(), a.toString());
    }
    if (dryRun.isEmpty()) {
      Optional<String> after = settle(a, d -> d.equals(e.driver()));
      if (!after.equals(e.driver())) {
        throw new IOException(a + ": did not return to " + e.driver().orElse("no driver") + " (driver now: " + after.orElse("none")
            + "); fix: check 'dmesg', then bind it by hand: echo " + a + " > " + paths.pciDriversProbe());
      }
      log.action(domain, a + ": back on " + e.driver().orElse("no driver"));
    }
  }

  /**
   * The device's driver once it is what is expected, or whatever it is after {@value #SETTLE_MILLIS}
   * ms: a driver that probes asynchronously binds a little after {@code drivers_probe} returns.
   */
  private Optional<String> settle(PciAddress a, java.util.function.Predicate<Optional<String>> expected) throws IOException {
    return Poll.until(() -> reader.linkName(a, "driver"), expected, SETTLE_MILLIS, a + "'s driver");
  }

  private void write(PciAddress a, int group, Path file, String value) throws IOException {
    if (dryRun.isPresent()) {
      dryRun.get().println((value.isEmpty() ? "echo > " : "echo " + value + " > ") + file);
      return;
    }
    log.action(domain, a + ": write '" + value + "' to " + file);
    try {
      writes.write(file, value + "\n");
    } catch (HungWriteException h) {
      List<String> holders = new DeviceHolders(paths).describe(a, group);
      throw new DeviceHungException(a, a + ": " + h.getMessage() + "; "
          + (holders.isEmpty() ? "no process holds its /dev nodes" : String.join(", ", holders))
          + "; fix: stop what uses the device, then retry (the write may still complete in the kernel)", h);
    } catch (IOException x) {
      String m = x.getMessage() != null && x.getMessage().startsWith(file.toString()) ? x.getMessage() : IoFailure.describe(file, x);
      throw new IOException(a + ": " + m + "; fix: see 'dmesg' for the kernel's reason", x);
    }
  }
}
