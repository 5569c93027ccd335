package onepci.doctor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import onepci.conf.ConfigException;
import onepci.conf.PciConf;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.PciId;
import onepci.sysfs.SysfsReader;

/**
 * What every check reads, read once: the probe's configuration, the devices to examine, the CPU
 * vendor.
 */
public final class HostState {

  /** NVIDIA's PCI vendor id. */
  static final int NVIDIA = 0x10de;

  /**
   * A device the doctor looks at.
   *
   * @param selected whether the probe reports it (so OpenNebula offers it to VMs)
   */
  record Examined(PciDevice device, boolean selected) {
    PciAddress address() {
      return device.address();
    }

    boolean isNvidiaGpu() {
      return device.vendor() == NVIDIA && device.isDisplay();
    }
  }

  private final HostPaths paths;
  private final SysfsReader reader;
  private final Path confFile;
  private final PciConf conf;
  private final Optional<String> confProblem;
  private final List<Examined> devices;
  private final List<String> deviceProblems;
  private final CpuVendor cpuVendor;

  private HostState(
      HostPaths paths,
      Path confFile,
      PciConf conf,
      Optional<String> confProblem,
      List<Examined> devices,
      List<String> deviceProblems,
      CpuVendor cpuVendor) {
    this.paths = paths;
    this.reader = new SysfsReader(paths);
    this.confFile = confFile;
    this.conf = conf;
    this.confProblem = confProblem;
    this.devices = List.copyOf(devices);
    this.deviceProblems = List.copyOf(deviceProblems);
    this.cpuVendor = cpuVendor;
  }

  /**
   * Reads the host under {@code paths}.
   *
   * @param config the pci.conf to judge; by default the one {@code onehost sync} put on this host
   */
  public static HostState read(HostPaths paths, Optional<Path> config) {
    Path file = config.orElse(paths.onePciConf());
    PciConf conf = PciConf.defaults();
    Optional<String> problem = Optional.empty();
    try {
      conf = PciConf.load(file);
    } catch (ConfigException e) {
      problem = Optional.of(e.getMessage());
    }

    SysfsReader reader = new SysfsReader(paths);
    List<Examined> devices = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try {
      for (PciAddress a : reader.list()) {
        try {
          PciId id = reader.identity(a);
          boolean selected =
              conf.selects(id) && (conf.shortAddresses().isEmpty() || conf.shortAddresses().contains(a));
          boolean nvidiaGpu = id.vendor() == NVIDIA && (id.classCode() >>> 16) == 0x03;
          if (selected || nvidiaGpu) {
            devices.add(new Examined(reader.read(a), selected));
          }
        } catch (DeviceReadException e) {
          problems.add(e.getMessage());
        }
      }
    } catch (IOException e) {
      problems.add(e.getMessage());
    }

    CpuVendor vendor =
        FileRead.of(paths.procCpuinfo()) instanceof FileRead.Text t ? CpuVendor.fromCpuinfo(t.text()) : CpuVendor.UNKNOWN;
    return new HostState(paths, file, conf, problem, devices, problems, vendor);
  }

  public HostPaths paths() {
    return paths;
  }

  SysfsReader reader() {
    return reader;
  }

  /** The pci.conf judged, whether or not it could be read. */
  Path confFile() {
    return confFile;
  }

  /** The configuration in force: the file's, or the probe's defaults when it could not be read. */
  PciConf conf() {
    return conf;
  }

  /** Why the pci.conf could not be used, when it could not. */
  Optional<String> confProblem() {
    return confProblem;
  }

  /** The devices the filter selects and every NVIDIA GPU, by address. */
  List<Examined> devices() {
    return devices;
  }

  /** Devices, or the device list, that could not be read. */
  List<String> deviceProblems() {
    return deviceProblems;
  }

  CpuVendor cpuVendor() {
    return cpuVendor;
  }
}
