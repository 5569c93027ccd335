package onepci.probe;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import onepci.conf.PciConf;
import onepci.pciids.PciIdsDatabase;
import onepci.pciids.PciNameSources;
import onepci.pciids.PciNames;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SriovRole;
import onepci.sysfs.SysfsReader;

/**
 * What the probe offers OpenNebula, and so what VMs can be given: the one rule the probe prints
 * by and {@code doctor} judges by.
 *
 * <p>The stock probe's rule: the devices pci.conf's filter selects (vendor, device, class), only
 * those in {@code :short_address:} and those whose {@code pci.ids} device name matches one of
 * {@code :device_name:} when those lists are set, without NVIDIA vGPU parents and SR-IOV PFs whose
 * VFs are enabled (their VFs are what VMs get).
 */
public final class Offer {

  /**
   * The devices offered, in address order, and the names looked up for them.
   *
   * @param names vendor, device and class names of every device the filter kept (a superset of
   *     {@code devices} when {@code :device_name:} narrows the list)
   */
  public record Offered(List<PciDevice> devices, PciNames names) {
    public Offered {
      devices = List.copyOf(devices);
    }
  }

  private final SysfsReader reader;
  private final PciConf conf;
  private final PciNameSources names;
  private final Consumer<String> warn;

  /**
   * @param names where names come from (pci.ids, then udev's hwdb); {@code :device_name:} is
   *     matched against the names the probe prints
   * @param warn told of each device that cannot be read (it is left out)
   */
  public Offer(SysfsReader reader, PciConf conf, PciNameSources names, Consumer<String> warn) {
    this.reader = reader;
    this.conf = conf;
    this.names = names;
    this.warn = warn;
  }

  /**
   * The devices offered.
   *
   * @throws IOException when the device list or the name database cannot be read: the probe then
   *     reports nothing rather than a wrong list
   */
  public Offered select() throws IOException {
    List<PciDevice> selected = new ArrayList<>();
    List<PciAddress> addresses = reader.list();
    // the cheapest exact source first: /proc/bus/pci/devices decides vendor:device before any folder is opened
    Prefilter prefilter = Prefilter.of(reader, conf, addresses);
    for (PciAddress address : addresses) {
      try {
        if (!conf.shortAddresses().isEmpty() && !conf.shortAddresses().contains(address)) {
          continue;
        }
        if (prefilter.leavesOut(address)) {
          continue;
        }
        SysfsReader.DeviceFolder folder = reader.folder(address);
        if (!conf.selects(reader.identity(folder))) {
          continue;
        }
        PciDevice d = reader.read(folder);
        if (isLeftOut(d)) {
          continue;
        }
        selected.add(d);
      } catch (DeviceReadException e) {
        warn.accept("skipped " + e.getMessage());
      }
    }
    PciNames names = names(selected);
    if (conf.deviceNames().isEmpty()) {
      return new Offered(selected, names);
    }
    List<PciDevice> named = new ArrayList<>(selected.size());
    for (PciDevice d : selected) {
      if (matchesDeviceName(names.device(d.vendor(), d.device()))) {
        named.add(d);
      }
    }
    return new Offered(named, names);
  }

  /** NVIDIA vGPU parents and PFs with enabled VFs: their VFs are what a VM gets. */
  private boolean isLeftOut(PciDevice d) {
    if (conf.isNvidiaVendor(d.vendor()) && d.hasVirtfn()) {
      return true;
    }
    return d.sriov() instanceof SriovRole.PhysicalFunction pf && pf.enabledVfs() > 0;
  }

  private boolean matchesDeviceName(String deviceName) {
    for (Pattern p : conf.deviceNames()) {
      if (p.matcher(deviceName).find()) {
        return true;
      }
    }
    return false;
  }

  private PciNames names(List<PciDevice> devices) {
    PciIdsDatabase.Request rq = new PciIdsDatabase.Request();
    for (PciDevice d : devices) {
      rq.device(d.vendor(), d.device()).classId(d.classId());
    }
    return names.lookup(rq, warn);
  }
}
