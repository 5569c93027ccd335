package onepci.probe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import onepci.conf.PciConf;
import onepci.one.NameUuid;
import onepci.one.TemplateVector;
import onepci.pciids.PciIdsDatabase;
import onepci.pciids.PciNames;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.Hex;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SriovRole;
import onepci.sysfs.SysfsReader;

/**
 * The monitoring probe: the devices pci.conf selects, as OpenNebula's {@code PCI = [ ... ]}
 * vectors, sorted by address.
 *
 * <p>The rules are the stock probe's: filter on vendor, device and class; leave out NVIDIA vGPU
 * parents and SR-IOV PFs whose VFs are enabled; keep only the listed short addresses and device
 * names when those lists are set. Added: IOMMU_GROUP and attributes that do not change while the
 * host runs.
 */
public final class PciProbe {

  /** The name OpenNebula gives an NVIDIA virtual function. */
  static final String NVIDIA_VF_NAME = "NVIDIA vGPU device";

  private static final Pattern PROFILE_HEADER = Pattern.compile("(?i)id");

  private final SysfsReader reader;
  private final PciConf conf;
  private final Optional<PciIdsDatabase> pciIds;
  private final Consumer<String> warn;

  public PciProbe(HostPaths paths, PciConf conf, Optional<PciIdsDatabase> pciIds, Consumer<String> warn) {
    this.reader = new SysfsReader(paths);
    this.conf = conf;
    this.pciIds = pciIds;
    this.warn = warn;
  }

  /**
   * Runs the probe.
   *
   * @throws IOException when the device list or the name database cannot be read: a report
   *     without them would be wrong, not just short
   */
  public List<TemplateVector> run() throws IOException {
    List<PciDevice> selected = new ArrayList<>();
    List<PciAddress> addresses = reader.list();
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
    IfnameResolver ifnames = new IfnameResolver(reader.paths(), warn);
    List<TemplateVector> out = new ArrayList<>(selected.size());
    for (PciDevice d : selected) {
      String deviceName = names.device(d.vendor(), d.device());
      if (!matchesDeviceName(deviceName)) {
        continue;
      }
      out.add(vector(d, names, deviceName, ifnames));
    }
    return out;
  }

  /** NVIDIA vGPU parents and PFs with enabled VFs: their VFs are what a VM gets. */
  private boolean isLeftOut(PciDevice d) {
    if (conf.isNvidiaVendor(d.vendor()) && d.hasVirtfn()) {
      return true;
    }
    return d.sriov() instanceof SriovRole.PhysicalFunction pf && pf.enabledVfs() > 0;
  }

  private boolean matchesDeviceName(String deviceName) {
    if (conf.deviceNames().isEmpty()) {
      return true;
    }
    for (Pattern p : conf.deviceNames()) {
      if (p.matcher(deviceName).find()) {
        return true;
      }
    }
    return false;
  }

  private PciNames names(List<PciDevice> devices) throws IOException {
    if (devices.isEmpty() || pciIds.isEmpty()) {
      return PciNames.none();
    }
    PciIdsDatabase.Request rq = new PciIdsDatabase.Request();
    for (PciDevice d : devices) {
      rq.device(d.vendor(), d.device()).classId(d.classId());
    }
    try {
      return pciIds.get().lookup(rq);
    } catch (IOException e) {
      throw new IOException(pciIds.get().file() + ": the PCI ID database cannot be read: " + e.getMessage(), e);
    }
  }

  private TemplateVector vector(PciDevice d, PciNames names, String deviceName, IfnameResolver ifnames) {
    PciAddress a = d.address();
    String vendorName = names.vendor(d.vendor());
    boolean nvidia = conf.isNvidiaVendor(d.vendor());
    boolean nvidiaVf = nvidia && d.sriov() instanceof SriovRole.VirtualFunction;

    TemplateVector.Builder v = new TemplateVector.Builder("PCI");
    v.add("TYPE", d.vendorHex() + ":" + d.deviceHex() + ":" + d.classHex())
        .add("VENDOR", d.vendorHex())
        .add("VENDOR_NAME", vendorName)
        .add("DEVICE", d.deviceHex())
        .add("CLASS", d.classHex())
        .add("CLASS_NAME", names.className(d.classId()))
        .add("ADDRESS", a.oneAddress())
        .add("SHORT_ADDRESS", a.shortAddress())
        .add("DOMAIN", a.domainHex())
        .add("BUS", a.busHex())
        .add("SLOT", a.slotHex())
        .add("FUNCTION", Integer.toString(a.function()))
        .add("NUMA_NODE", d.numaNode().isPresent() ? Integer.toString(d.numaNode().getAsInt()) : "-")
        .add("IFNAME", ifnames.resolve(a, d.netInterfaces()))
        .add("SRIOV", d.sriov().oneName());
    if (d.sriov() instanceof SriovRole.PhysicalFunction pf) {
      v.add("SRIOV_NUM", Integer.toString(pf.enabledVfs()));
    }
    if (nvidiaVf) {
      v.add("DEVICE_NAME", NVIDIA_VF_NAME);
      v.add("UUID", NameUuid.sha1(NameUuid.X500, a.oneAddress()).toString());
      v.add("PROFILES", String.join(",", profiles(a)));
      v.add("MDEV_MODE", reader.paths().mdevBus(a).toFile().exists() ? "legacy" : "nvidia");
    } else if (nvidia) {
      v.add("DEVICE_NAME", vendorName + " " + deviceName);
    } else {
      v.add("DEVICE_NAME", deviceName);
    }

    v.add("IOMMU_GROUP", d.iommuGroup().isPresent() ? Integer.toString(d.iommuGroup().getAsInt()) : "-");
    if (d.subsystemVendor().isPresent()
        && d.subsystemDevice().isPresent()
        && (d.subsystemVendor().getAsInt() | d.subsystemDevice().getAsInt()) != 0) {
      v.add("SUBSYSTEM_VENDOR", Hex.of(d.subsystemVendor().getAsInt(), 4));
      v.add("SUBSYSTEM_DEVICE", Hex.of(d.subsystemDevice().getAsInt(), 4));
    }
    d.localCpus().filter(s -> !s.isEmpty()).ifPresent(s -> v.add("LOCAL_CPUS", s));
    d.maxLinkSpeed().filter(PciProbe::isKnownLink).ifPresent(s -> v.add("MAX_LINK_SPEED", s));
    d.maxLinkWidth().filter(PciProbe::isKnownLink).ifPresent(s -> v.add("MAX_LINK_WIDTH", s));
    return v.build();
  }

  private static boolean isKnownLink(String s) {
    return !s.isEmpty() && !s.startsWith("Unknown") && !s.equals("255");
  }

  /**
   * vGPU profiles: the legacy mdev types under {@code mdev_supported_types/}, else the data lines
   * {@code ID : Name} of {@code nvidia/creatable_vgpu_types} as {@code ID (Name)}.
   */
  private List<String> profiles(PciAddress a) {
    Path device = reader.paths().pciDevice(a);
    List<String> legacy = reader.folderNames(device.resolve("mdev_supported_types"));
    if (!legacy.isEmpty()) {
      return legacy;
    }
    List<String> out = new ArrayList<>();
    Optional<String> text = reader.attribute(a, "nvidia/creatable_vgpu_types");
    if (text.isEmpty()) {
      return out;
    }
    for (String line : text.get().split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String id = line.substring(0, colon).strip();
      String name = line.substring(colon + 1).strip();
      if (id.isEmpty() || name.isEmpty() || PROFILE_HEADER.matcher(id).matches()) {
        continue;
      }
      out.add(id + " (" + name + ")");
    }
    return out;
  }

  /** The vectors as the probe prints them. */
  public static String format(List<TemplateVector> vectors) {
    StringJoiner j = new StringJoiner("");
    for (TemplateVector v : vectors) {
      j.add(v.format());
    }
    return j.toString();
  }
}
