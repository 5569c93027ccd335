package onepci.doctor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.PciId;
import onepci.sysfs.SysfsReader;
import onepci.vfio.VfioDrivers;

/**
 * The guide's "VFIO Driver Binding", per device the probe reports and per NVIDIA GPU: the driver
 * in use, whether the IOMMU group can be given to a VM, a GPU left on a host driver, and the
 * override that keeps it on vfio-pci.
 */
final class DeviceChecks implements CheckGroup {

  static final String DRIVER = "driver";
  static final String GROUP = "group-viable";
  static final String HOST_DRIVER = "nvidia-host-driver";
  static final String OVERRIDE = "override";

  /** The drivers that take an NVIDIA GPU for the host. */
  private static final List<String> NVIDIA_HOST_DRIVERS = List.of("nouveau", "nvidia");

  @Override
  public List<Check> run(HostState host) {
    List<Check> out = new ArrayList<>();
    for (String problem : host.deviceProblems()) {
      out.add(Check.warn(DRIVER, Check.HOST, "cannot read " + problem + ": not examined", Fixes.asRoot()));
    }
    for (HostState.Examined e : host.devices()) {
      if (e.isVgpu()) {
        String what =
            e.device().hasVirtfn()
                ? "a vGPU parent: VMs get its virtual functions"
                : "a vGPU virtual function: VMs get it as a mediated device";
        out.add(Check.pass(
            HOST_DRIVER, e.address().toString(),
            what + ", so it stays on " + e.device().driver().orElse("its driver") + " rather than vfio-pci"));
        continue;
      }
      out.add(driver(e));
      out.add(group(host, e));
      if (e.isNvidiaGpu()) {
        out.add(hostDriver(e));
      }
      out.add(override(host, e));
    }
    return out;
  }

  private static String id(PciDevice d) {
    return d.vendorHex() + ":" + d.deviceHex();
  }

  private static Check driver(HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    if (d.driver().isEmpty()) {
      return Check.pass(DRIVER, subject, id(d) + " is bound to no driver: vfio-pci can take it when a VM starts");
    }
    String drv = d.driver().get();
    if (VfioDrivers.isVfio(drv)) {
      return Check.pass(DRIVER, subject, id(d) + " is bound to " + drv);
    }
    return Check.warn(
        DRIVER, subject,
        id(d) + " is bound to " + drv + ", not vfio-pci: the host is using it",
        Fixes.override(d.address()));
  }

  private static Check group(HostState host, HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    if (d.iommuGroup().isEmpty()) {
      IommuVendor v = host.iommuVendor();
      return Check.fail(
          GROUP, subject, "is in no IOMMU group: the IOMMU is off, so it cannot be passed through (kernel needs " + v.parameter + ")",
          IommuChecks.turnOnFix(host));
    }
    int n = d.iommuGroup().getAsInt();
    SysfsReader reader = host.reader();
    List<PciAddress> members;
    try {
      members = reader.iommuGroupMembers(n);
    } catch (IOException ex) {
      return Check.warn(
          GROUP, subject, "cannot list " + host.paths().iommuGroupDevices(n) + ": whether group " + n + " is viable is unknown",
          Fixes.asRoot());
    }
    List<String> breakers = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    for (PciAddress m : members) {
      PciId mid;
      try {
        mid = reader.identity(m);
      } catch (DeviceReadException ex) {
        return Check.warn(GROUP, subject, "cannot read " + ex.getMessage() + ": whether group " + n + " is viable is unknown", Fixes.asRoot());
      }
      if ((mid.classCode() >>> 16) == 0x06) {
        continue; // bridges and ports stay on their driver
      }
      Optional<String> drv = reader.linkName(m, "driver");
      if (drv.isPresent() && !VfioDrivers.isVfio(drv.get())) {
        String who = m.equals(d.address()) ? m + " itself" : m + " (" + String.format("%04x:%04x", mid.vendor(), mid.device()) + ")";
        breakers.add(who + " is bound to " + drv.get());
        fixes.add(Fixes.override(m));
      }
    }
    if (breakers.isEmpty()) {
      return Check.pass(
          GROUP, subject,
          "IOMMU group " + n + " (" + members.size() + (members.size() == 1 ? " device" : " devices")
              + ") is viable: every endpoint is on vfio-pci or no driver");
    }
    return Check.fail(
        GROUP, subject, "IOMMU group " + n + " is not viable: " + String.join("; ", breakers), String.join(" && ", fixes));
  }

  private static Check hostDriver(HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    Optional<String> drv = d.driver().filter(NVIDIA_HOST_DRIVERS::contains);
    if (drv.isEmpty()) {
      return Check.pass(HOST_DRIVER, subject, "the GPU is not on nouveau or nvidia");
    }
    if (e.selected()) {
      return Check.fail(
          HOST_DRIVER, subject,
          "the GPU is on the host driver " + drv.get() + " although the probe offers it to VMs: QEMU cannot take it while "
              + drv.get() + " holds it",
          Fixes.override(d.address()));
    }
    return Check.warn(
        HOST_DRIVER, subject,
        "the GPU is on the host driver " + drv.get() + " and the probe filter leaves it out: OpenNebula does not offer it",
        Fixes.override(d.address()));
  }

  private static Check override(HostState host, HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    Path persistent = host.paths().driverctlOverrides().resolve("pci-" + d.address());
    FileRead r = FileRead.of(persistent);
    if (r instanceof FileRead.Text t) {
      String target = t.text().strip();
      if (VfioDrivers.isVfio(target)) {
        return Check.pass(OVERRIDE, subject, "persistent override to " + target + " (driverctl, " + persistent + ")");
      }
      return Check.warn(
          OVERRIDE, subject, "driverctl binds it to " + target + " at every boot (" + persistent + ")",
          Fixes.override(d.address()));
    }
    if (r instanceof FileRead.Unreadable u) {
      return Check.warn(OVERRIDE, subject, "cannot read " + persistent + " (" + u.reason() + ")", Fixes.asRoot());
    }
    Optional<String> now = d.driverOverride();
    if (now.isEmpty()) {
      return Check.pass(OVERRIDE, subject, "no driver override: the device keeps its driver until a VM takes it");
    }
    if (VfioDrivers.isVfio(now.get())) {
      return Check.pass(
          OVERRIDE, subject, "driver_override is " + now.get() + " until the next boot (no driverctl override in " + persistent.getParent() + ")");
    }
    return Check.warn(
        OVERRIDE, subject, "driver_override is " + now.get() + ": vfio-pci cannot bind it", Fixes.override(d.address()));
  }
}
