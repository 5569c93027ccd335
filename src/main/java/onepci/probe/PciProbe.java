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
import onepci.io.IoFailure;
import onepci.one.NameUuid;
import onepci.one.TemplateVector;
import onepci.pciids.PciIdsDatabase;
import onepci.pciids.PciNameSources;
import onepci.pciids.PciNames;
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
 * <p>Which devices: {@link Offer}, the stock probe's rules. Added to its attributes: IOMMU_GROUP
 * and attributes that do not change while the host runs.
 */
public final class PciProbe {

  /** The name OpenNebula gives an NVIDIA virtual function. */
  static final String NVIDIA_VF_NAME = "NVIDIA vGPU device";

  private static final Pattern PROFILE_HEADER = Pattern.compile("(?i)id");

  private final SysfsReader reader;
  private final PciConf conf;
  private final PciNameSources names;
  private final Consumer<String> warn;

  public PciProbe(HostPaths paths, PciConf conf, PciNameSources names, Consumer<String> warn) {
    this.reader = SysfsReader.sparingConfig(paths);
    this.conf = conf;
    this.names = names;
    this.warn = warn;
  }

  /**
   * Runs the probe.
   *
   * @throws IOException when the device list cannot be read: a report without it would be
   *     wrong, not just short (a name database that cannot be read is a warning)
   */
  public List<TemplateVector> run() throws IOException {
    return report().vectors();
  }

  /**
   * The vectors and the devices they were made from, in the same order.
   *
   * @param devices the devices offered, as this run read them (for readiness, which judges them)
   */
  public record Report(List<TemplateVector> vectors, List<PciDevice> devices) {
    public Report {
      vectors = List.copyOf(vectors);
      devices = List.copyOf(devices);
    }
  }

  /** Runs the probe; as {@link #run}, with the devices offered. */
  public Report report() throws IOException {
    Offer.Offered offered = new Offer(reader, conf, this.names, warn).select();
    PciNames names = offered.names();
    IfnameResolver ifnames = new IfnameResolver(reader.paths(), warn);
    List<TemplateVector> out = new ArrayList<>(offered.devices().size());
    for (PciDevice d : offered.devices()) {
      out.add(vector(d, names, names.device(d.vendor(), d.device()), ifnames));
    }
    return new Report(out, offered.devices());
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
