package onepci.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import onepci.conf.PciConf;
import onepci.pciids.PciNameSources;
import onepci.probe.Offer;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SriovRole;
import onepci.sysfs.SysfsReader;
import onepci.vfio.Planner;
import onepci.vfio.Refusal;

/**
 * The devices of a several-device template, and whether a VM given all of them can start: each is
 * offered by the probe (OpenNebula gives a VM only what the probe reports), each is passable by
 * the vfio engine's own rule ({@link Planner#preview}, as doctor's {@code passable}), and no two of
 * them are in one IOMMU group (prepare moves a device's whole group with it).
 */
public final class DeviceSet {

  private final HostPaths paths;
  private final Path confFile;
  private final PciConf conf;
  private final SysfsReader reader;

  private DeviceSet(HostPaths paths, Path confFile, PciConf conf) {
    this.paths = paths;
    this.confFile = confFile;
    this.conf = conf;
    this.reader = new SysfsReader(paths);
  }

  /**
   * @param confFile the probe's pci.conf, read as the probe reads it
   * @throws TemplateException when it cannot be read or is not valid: without it nothing says what
   *     OpenNebula offers
   */
  public static DeviceSet of(HostPaths paths, Path confFile) throws TemplateException {
    if (!Files.isRegularFile(confFile)) {
      throw new TemplateException(
          "cannot tell which devices OpenNebula offers: " + confFile + " does not exist; run onehost sync -f on the front-end,"
              + " or name the probe's pci.conf with --config FILE");
    }
    try {
      return new DeviceSet(paths, confFile, PciConf.load(confFile));
    } catch (onepci.conf.ConfigException e) {
      throw new TemplateException("cannot tell which devices OpenNebula offers: " + e.getMessage());
    }
  }

  /** Every NVIDIA GPU the probe offers (physical functions) and every NVSwitch of the host, in address order. */
  public List<PciAddress> board() throws TemplateException {
    Set<PciAddress> out = new TreeSet<>();
    for (PciDevice d : offered()) {
      if (d.vendor() == PciDevice.NVIDIA && d.isDisplay() && !(d.sriov() instanceof SriovRole.VirtualFunction)) {
        out.add(d.address());
      }
    }
    if (out.isEmpty()) {
      throw new TemplateException(
          "--board: the probe offers no NVIDIA GPU on this host (" + confFile + "); check with: one-pci doctor");
    }
    try {
      for (PciAddress a : reader.list()) {
        try {
          if (reader.read(a).isNvSwitch()) {
            out.add(a);
          }
        } catch (DeviceReadException e) {
          throw new TemplateException("cannot read " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new TemplateException("cannot list the PCI devices in " + paths.pciDevices() + ": " + e.getMessage());
    }
    return List.copyOf(out);
  }

  /**
   * Refuses, with every reason, a set a VM cannot be given.
   *
   * @param wanted the devices, each once
   * @throws TemplateException one line per problem, each naming its device
   */
  public void check(List<PciAddress> wanted) throws TemplateException {
    List<String> problems = new ArrayList<>();
    for (PciAddress a : wanted) {
      if (!Files.isDirectory(paths.pciDevice(a))) {
        problems.add(
            "no PCI device " + a + " on this host (" + paths.pciDevice(a) + " does not exist); list the addresses with: one-pci probe --filter '*:*'");
      }
    }
    if (!problems.isEmpty()) {
      throw new TemplateException(String.join("\n", problems));
    }
    Set<PciAddress> offered = offered().stream().map(PciDevice::address).collect(Collectors.toSet());
    Planner planner = Planner.forPreviews(paths);
    Map<Integer, List<PciAddress>> groups = new LinkedHashMap<>();
    for (PciAddress a : wanted) {
      String id = id(a);
      if (!offered.contains(a)) {
        problems.add(
            a + " (" + id + ") is not offered by the probe: " + confFile + " leaves it out, so OpenNebula cannot give it to a VM;"
                + " fix: add it to :filter: (such as '" + id + "') in the front-end's pci.conf, then onehost sync -f");
      }
      List<Refusal> refusals = planner.preview(List.of(a), List.of()).refusalsOf(a);
      if (!refusals.isEmpty()) {
        problems.add(
            a + " (" + id + ") is not passable: "
                + refusals.stream().map(Refusal::reason).collect(Collectors.joining("; "))
                + "; fix: " + refusals.stream().map(Refusal::fix).distinct().collect(Collectors.joining("; ")));
      }
      OptionalInt g = reader.iommuGroup(a);
      if (g.isPresent()) {
        groups.computeIfAbsent(g.getAsInt(), k -> new ArrayList<>()).add(a);
      }
    }
    for (var e : groups.entrySet()) {
      if (e.getValue().size() > 1) {
        List<String> names = e.getValue().stream().map(PciAddress::toString).toList();
        problems.add(
            String.join(" and ", names) + " are in one IOMMU group, " + e.getKey()
                + ", given separately: the VM's device takes its whole group with it; give only one of them");
      }
    }
    if (!problems.isEmpty()) {
      throw new TemplateException(String.join("\n", problems));
    }
  }

  private String id(PciAddress a) {
    try {
      var i = reader.identity(a);
      return String.format("%04x:%04x", i.vendor(), i.device());
    } catch (DeviceReadException e) {
      return "unreadable";
    }
  }

  private List<PciDevice> offered() throws TemplateException {
    try {
      return new Offer(reader, conf, PciNameSources.forHost(paths), skipped -> {}).select().devices();
    } catch (IOException e) {
      throw new TemplateException("cannot tell which devices OpenNebula offers: " + e.getMessage());
    }
  }
}
