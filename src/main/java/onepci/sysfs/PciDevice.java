package onepci.sysfs;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One PCI function as sysfs describes it: a flat value, read once, with optional fields for what a
 * device may lack.
 *
 * @param classCode the 24-bit class, subclass and programming interface
 * @param numaNode absent when the kernel does not know it (missing file or a negative value)
 * @param iommuGroup absent when the device has no IOMMU group (IOMMU off, or a guest without one)
 * @param driver the name of the bound driver, absent when unbound
 * @param driverOverride absent when unset ({@code (null)} in sysfs)
 * @param hasVirtfn whether a {@code virtfn0} link exists (its VFs are enabled)
 * @param localCpus the CPUs local to the device ({@code local_cpulist})
 */
public record PciDevice(
    PciAddress address,
    int vendor,
    int device,
    int classCode,
    OptionalInt subsystemVendor,
    OptionalInt subsystemDevice,
    OptionalInt revision,
    OptionalInt numaNode,
    OptionalInt iommuGroup,
    Optional<String> driver,
    Optional<String> driverOverride,
    SriovRole sriov,
    boolean hasVirtfn,
    List<NetInterface> netInterfaces,
    Optional<String> localCpus,
    Optional<String> maxLinkSpeed,
    Optional<String> maxLinkWidth) {

  public PciDevice {
    netInterfaces = List.copyOf(netInterfaces);
  }

  /** Class and subclass, the 16 bits lspci and OpenNebula call CLASS. */
  public int classId() {
    return classCode >>> 8;
  }

  public int progIf() {
    return classCode & 0xff;
  }

  /** Base class 0x06: host, PCI and other bridges, PCIe ports. */
  public boolean isBridge() {
    return (classCode >>> 16) == 0x06;
  }

  /** The boot-time display class 0x03. */
  public boolean isDisplay() {
    return (classCode >>> 16) == 0x03;
  }

  public String vendorHex() {
    return Hex.of(vendor, 4);
  }

  public String deviceHex() {
    return Hex.of(device, 4);
  }

  public String classHex() {
    return Hex.of(classId(), 4);
  }
}
