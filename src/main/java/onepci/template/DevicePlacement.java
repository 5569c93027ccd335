package onepci.template;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import onepci.sysfs.CpuList;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciBar;
import onepci.sysfs.PciDevice;
import onepci.sysfs.PciId;
import onepci.sysfs.SysfsReader;

/**
 * What the template is sized from: the device, the CPUs of its NUMA node and how many physical
 * cores they make, how many devices like it share that node, and its 64-bit BARs.
 *
 * @param cpus the CPUs local to the device; empty when sysfs does not say
 * @param cpuSource the file the CPUs were read from
 * @param cores physical cores among {@code cpus} (hyper-threads of one core count once)
 * @param sharers devices with the same vendor and device id on the same CPUs, this one included
 * @param bar64 total size of the device's 64-bit memory BARs, in bytes
 */
public record DevicePlacement(PciDevice device, CpuList cpus, String cpuSource, int cores, int sharers, long bar64) {

  /**
   * Reads the device at {@code address} and its surroundings.
   *
   * @throws TemplateException when the device does not exist or cannot be read
   */
  public static DevicePlacement read(HostPaths paths, PciAddress address) throws TemplateException {
    SysfsReader reader = new SysfsReader(paths);
    if (!Files.isDirectory(paths.pciDevice(address))) {
      throw new TemplateException(
          "no PCI device " + address + " on this host (" + paths.pciDevice(address)
              + " does not exist); list the addresses with: one-pci probe --filter '*:*'");
    }
    PciDevice d;
    try {
      d = reader.read(address);
    } catch (DeviceReadException e) {
      throw new TemplateException("cannot read " + e.getMessage());
    }
    String source = paths.pciDevice(address).resolve("local_cpulist").toString();
    CpuList cpus = parse(d.localCpus().orElse(""));
    if (cpus.isEmpty() && d.numaNode().isPresent()) {
      source = paths.numaNodeCpulist(d.numaNode().getAsInt()).toString();
      cpus = parse(SysfsReader.readSmall(paths.numaNodeCpulist(d.numaNode().getAsInt())).orElse(""));
    }
    return new DevicePlacement(d, cpus, source, cores(paths, cpus), sharers(reader, d, cpus), bar64(reader, address));
  }

  private static CpuList parse(String text) {
    try {
      return CpuList.parse(text);
    } catch (IllegalArgumentException e) {
      return CpuList.parse("");
    }
  }

  /** One per physical core: a CPU counts unless a lower-numbered thread sibling was counted. */
  private static int cores(HostPaths paths, CpuList cpus) {
    Set<Integer> firsts = new HashSet<>();
    for (int cpu : cpus.toArray()) {
      int first = cpu;
      String siblings = SysfsReader.readSmall(paths.cpuThreadSiblings(cpu)).orElse("");
      CpuList s = parse(siblings);
      if (!s.isEmpty()) {
        first = s.toArray()[0];
      }
      firsts.add(first);
    }
    return firsts.size();
  }

  /** Devices of the same model local to the same CPUs: the node's cores are shared among them. */
  private static int sharers(SysfsReader reader, PciDevice d, CpuList cpus) {
    if (cpus.isEmpty()) {
      return 1;
    }
    int n = 0;
    List<PciAddress> all;
    try {
      all = reader.list();
    } catch (IOException e) {
      return 1;
    }
    for (PciAddress a : all) {
      try {
        PciId id = reader.identity(a);
        if (id.vendor() != d.vendor() || id.device() != d.device() || id.classCode() != d.classCode()) {
          continue;
        }
        String local = reader.attribute(a, "local_cpulist").orElse("");
        if (a.equals(d.address()) || parse(local).equals(cpus)) {
          n++;
        }
      } catch (DeviceReadException e) {
        // a device that vanished shares nothing
      }
    }
    return Math.max(1, n);
  }

  private static long bar64(SysfsReader reader, PciAddress address) {
    try {
      return PciBar.total64(reader.attribute(address, "resource").orElse(""));
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  public OptionalInt numaNode() {
    return device.numaNode();
  }
}
