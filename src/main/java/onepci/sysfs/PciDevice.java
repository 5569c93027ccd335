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
 * @param headerType the layout of the configuration header, the low 7 bits of byte {@code 0x0e} of
 *     {@code config} (0 endpoint, 1 PCI-to-PCI bridge or PCIe port, 2 CardBus bridge); absent when
 *     {@code config} was not read (see {@link SysfsReader#sparingConfig}) or could not be, or
 *     holds another value (all ones: a device powered off or gone)
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
    Optional<String> maxLinkWidth,
    OptionalInt headerType) {

  /** Header types, as the kernel's {@code PCI_HEADER_TYPE_*}. */
  public static final int HEADER_ENDPOINT = 0;
  public static final int HEADER_BRIDGE = 1;
  public static final int HEADER_CARDBUS = 2;

  /** NVIDIA's PCI vendor id. */
  public static final int NVIDIA = 0x10de;

  /**
   * NVSwitch device ids: {@code 1af1} (A100 generation, in pci.ids) and {@code 22a3} (H100 and H200
   * generation, HGX baseboards).
   */
  private static final java.util.Set<Integer> NVSWITCH_IDS = java.util.Set.of(0x1af1, 0x22a3);

  /** The class NVIDIA gives its NVSwitches: "bridge, other" ({@code 0680}), as go-nvlib's nvpci tells them. */
  private static final int NVSWITCH_CLASS = 0x068000;

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

  /**
   * A PCI-to-PCI bridge, PCIe port or CardBus bridge: header type 1 or 2, as the kernel and libvirt
   * tell one. The class does not: host bridges ({@code 0600}) and NVSwitches ({@code 0680}) are
   * class 06 endpoints (header type 0). False when the header type is unknown; whoever must not
   * mistake a bridge for an endpoint checks {@link #headerType()} first.
   */
  public boolean isBridge() {
    return headerType.isPresent() && isBridgeHeader(headerType.getAsInt());
  }

  /** The one rule for a bridge, by header type: {@link #HEADER_BRIDGE} or {@link #HEADER_CARDBUS}. */
  public static boolean isBridgeHeader(int headerType) {
    return headerType == HEADER_BRIDGE || headerType == HEADER_CARDBUS;
  }

  /**
   * An NVIDIA NVSwitch (HGX baseboards): an endpoint that full-passthrough VMs take with the GPUs.
   * Known device ids, or any NVIDIA function of class {@code 0680}, which NVIDIA uses only for them.
   */
  public boolean isNvSwitch() {
    return vendor == NVIDIA && (NVSWITCH_IDS.contains(device) || classCode == NVSWITCH_CLASS);
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
