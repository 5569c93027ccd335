package onepci.doctor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import onepci.conf.ConfigException;
import onepci.conf.PciConf;
import onepci.pciids.PciNameSources;
import onepci.probe.Offer;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.PciId;
import onepci.sysfs.SriovRole;
import onepci.sysfs.SysfsReader;
import onepci.vfio.Planner;
import onepci.vfio.Refusal;

/**
 * What every check reads, read once: the probe's configuration, the devices to examine, whose
 * IOMMU the host has.
 */
public final class HostState {

  /** NVIDIA's PCI vendor id. */
  static final int NVIDIA = 0x10de;

  /**
   * A device the doctor looks at.
   *
   * @param selected whether the probe reports it (so OpenNebula offers it to VMs): {@link Offer}'s rule
   * @param preview what the vfio engine's prepare would do with it now, for a domain that holds
   *     nothing (devices running VMs hold count as free)
   */
  record Examined(PciDevice device, boolean selected, Planner.Preview preview) {
    PciAddress address() {
      return device.address();
    }

    boolean isNvidiaGpu() {
      return device.vendor() == NVIDIA && device.isDisplay();
    }

    boolean isNvSwitch() {
      return device.isNvSwitch();
    }

    /**
     * An NVIDIA vGPU parent (its virtual functions go to VMs) or one of those virtual functions
     * (given to VMs as mediated devices): both stay on the nvidia driver, not vfio-pci.
     */
    boolean isVgpu() {
      return device.vendor() == NVIDIA && (device.hasVirtfn() || device.sriov() instanceof SriovRole.VirtualFunction);
    }

    /** Why the vfio engine refuses this device itself (a bridge, a device the host needs, no IOMMU): none when it can be passed through. */
    List<Refusal> refusals() {
      return preview.refusalsOf(address());
    }

    boolean isPassable() {
      return refusals().isEmpty();
    }
  }

  /**
   * The probe's pci.conf as this doctor could read it.
   *
   * @param conf the file's settings, or the probe's defaults (filter {@code 0:0}) when it could not be used
   * @param problem why it could not be used
   * @param unreadable whether the problem is only that this user may not read it
   */
  record ProbeConfig(Path file, PciConf conf, Optional<String> problem, boolean unreadable) {

    static ProbeConfig load(Path file) {
      if (FileRead.of(file) instanceof FileRead.Unreadable u) {
        return new ProbeConfig(file, PciConf.defaults(), Optional.of("cannot read " + file + " (" + u.reason() + ")"), true);
      }
      try {
        return new ProbeConfig(file, PciConf.load(file), Optional.empty(), false);
      } catch (ConfigException e) {
        return new ProbeConfig(file, PciConf.defaults(), Optional.of(e.getMessage()), false);
      }
    }
  }

  private final HostPaths paths;
  private final SysfsReader reader;
  private final ProbeConfig config;
  private final List<Examined> devices;
  private final List<String> deviceProblems;
  private final IommuVendor iommuVendor;
  private final boolean hookInstalled;

  private HostState(
      HostPaths paths,
      ProbeConfig config,
      List<Examined> devices,
      List<String> deviceProblems,
      IommuVendor iommuVendor,
      boolean hookInstalled) {
    this.paths = paths;
    this.reader = new SysfsReader(paths);
    this.config = config;
    this.devices = List.copyOf(devices);
    this.deviceProblems = List.copyOf(deviceProblems);
    this.iommuVendor = iommuVendor;
    this.hookInstalled = hookInstalled;
  }

  /**
   * Reads the host under {@code paths}.
   *
   * @param config the pci.conf to judge; by default the one {@code onehost sync} put on this host
   */
  public static HostState read(HostPaths paths, Optional<Path> config) {
    ProbeConfig probeConfig = ProbeConfig.load(config.orElse(paths.onePciConf()));
    PciConf conf = probeConfig.conf();

    SysfsReader reader = new SysfsReader(paths);
    Planner planner = Planner.forPreviews(paths);
    List<Examined> devices = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try {
      List<PciAddress> all = reader.list();
      Set<PciAddress> offered = offered(reader, conf, PciNameSources.forHost(paths), problems);
      for (PciAddress a : all) {
        try {
          SysfsReader.DeviceFolder folder = reader.folder(a);
          PciId id = reader.identity(folder);
          boolean selected = offered.contains(a);
          boolean nvidiaGpu = id.vendor() == NVIDIA && (id.classCode() >>> 16) == 0x03;
          // NVSwitches are NVIDIA class 06 functions: examined like GPUs, offered or not
          boolean nvidiaClass06 = id.vendor() == NVIDIA && (id.classCode() >>> 16) == 0x06;
          if (selected || nvidiaGpu || nvidiaClass06) {
            PciDevice d = reader.read(folder);
            if (selected || nvidiaGpu || d.isNvSwitch()) {
              devices.add(new Examined(d, selected, planner.preview(List.of(a), List.of())));
            }
          }
        } catch (DeviceReadException e) {
          problems.add(e.getMessage());
        }
      }
    } catch (IOException e) {
      problems.add(e.getMessage());
    }

    return new HostState(paths, probeConfig, devices, problems, iommuVendor(paths), LibvirtHookCheck.isInstalled(paths));
  }

  /**
   * The host as the probe saw it in this run: the devices it offers (read by the probe, not again),
   * judged with the pci.conf it read. Other devices are read only where the vfio engine's rule
   * needs them: the members of an offered device's IOMMU group.
   */
  static HostState ofOffered(HostPaths paths, Path configFile, PciConf conf, List<PciDevice> offered) {
    Planner planner = Planner.forPreviews(paths);
    List<Examined> devices = new ArrayList<>(offered.size());
    for (PciDevice d : offered) {
      devices.add(new Examined(d, true, planner.preview(List.of(d.address()), List.of())));
    }
    ProbeConfig config = new ProbeConfig(configFile, conf, Optional.empty(), false);
    return new HostState(paths, config, devices, List.of(), iommuVendor(paths), LibvirtHookCheck.isInstalled(paths));
  }

  private static IommuVendor iommuVendor(HostPaths paths) {
    return IommuVendor.fromUnits(paths.iommuUnits().toFile().list())
        .orElseGet(
            () -> FileRead.of(paths.procCpuinfo()) instanceof FileRead.Text t ? IommuVendor.fromCpuinfo(t.text()) : IommuVendor.UNKNOWN);
  }

  /** The addresses the probe prints with this pci.conf; none when it would print nothing (a problem is added). */
  private static Set<PciAddress> offered(SysfsReader reader, PciConf conf, PciNameSources names, List<String> problems) {
    try {
      Set<PciAddress> out = new HashSet<>();
      // a device the probe cannot read is one the loop below cannot read either, and reports
      new Offer(reader, conf, names, skipped -> {}).select().devices().forEach(d -> out.add(d.address()));
      return out;
    } catch (IOException e) {
      problems.add(e.getMessage() + " (the probe then reports no device)");
      return Set.of();
    }
  }

  public HostPaths paths() {
    return paths;
  }

  SysfsReader reader() {
    return reader;
  }

  /** The pci.conf judged, and what came of reading it. */
  ProbeConfig config() {
    return config;
  }

  /** The devices the probe offers, every NVIDIA GPU and every NVSwitch, by address. */
  List<Examined> devices() {
    return devices;
  }

  /** Devices, or the device list, that could not be read. */
  List<String> deviceProblems() {
    return deviceProblems;
  }

  IommuVendor iommuVendor() {
    return iommuVendor;
  }

  /** Whether libvirt runs one-pci's hook, which moves a VM's whole IOMMU groups to vfio-pci. */
  boolean hookInstalled() {
    return hookInstalled;
  }
}
