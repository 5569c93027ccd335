package onepci.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.PciId;
import onepci.vfio.Plan;
import onepci.vfio.Planner;
import onepci.vfio.Refusal;
import onepci.vfio.VfioDrivers;

/**
 * The guide's "VFIO Driver Binding", per device the probe reports and per NVIDIA GPU: whether the
 * vfio engine would take it at all (its own rules, asked through {@link Planner#preview}), the
 * driver in use, whether prepare would take its IOMMU group, a GPU left on a host driver, and the
 * override that keeps it on vfio-pci.
 */
final class DeviceChecks implements CheckGroup {

  static final String PASSABLE = "passable";
  static final String DRIVER = "driver";
  static final String GROUP = "group-viable";
  static final String HOST_DRIVER = "nvidia-host-driver";
  static final String OVERRIDE = "override";

  /** The drivers that take an NVIDIA GPU for the host. */
  private static final List<String> NVIDIA_HOST_DRIVERS = List.of("nouveau", "nvidia");

  /** The drivers that take an NVSwitch for the host. */
  private static final List<String> NVSWITCH_HOST_DRIVERS = List.of("nvidia-nvswitch", "nvidia");

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
      if (!e.isPassable()) {
        // the engine's verdict is all there is to say: every other check would advise binding it
        out.add(notPassable(host, e));
        continue;
      }
      out.add(Check.pass(
          PASSABLE, e.address().toString(),
          "the vfio engine can take it: not a bridge or port, and not a device the host runs on (mounts, swap, default route, console)"));
      out.add(driver(e));
      out.add(group(host, e));
      if (e.isNvidiaGpu()) {
        out.add(hostDriver(e));
      } else if (e.isNvSwitch()) {
        out.add(nvSwitchHostDriver(e));
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

  /**
   * The vfio engine refuses the device itself: a bridge or port, a device the host runs on, no
   * IOMMU. Its fix is the engine's, never a binding to vfio-pci.
   */
  private static Check notPassable(HostState host, HostState.Examined e) {
    String subject = e.address().toString();
    String reasons = e.refusals().stream().map(Refusal::reason).collect(Collectors.joining("; "));
    if (!e.selected()) {
      return Check.pass(PASSABLE, subject, "not passable, and the probe does not offer it: " + reasons);
    }
    // the IOMMU being off is one problem of the host's, with the one fix the iommu check gives
    boolean iommuOff = e.device().iommuGroup().isEmpty();
    return Check.fail(
        PASSABLE, subject, "not passable, although the probe offers it to VMs (a VM given it would not start): " + reasons,
        iommuOff ? IommuChecks.turnOnFix(host) : fixes(e.refusals()) + "; to stop offering it, " + Fixes.probeFilter());
  }

  /** The engine's fixes, each once. */
  private static String fixes(List<Refusal> refusals) {
    return refusals.stream().map(Refusal::fix).distinct().collect(Collectors.joining("; "));
  }

  /**
   * Whether prepare would take the device's whole IOMMU group now: siblings it refuses block it;
   * siblings on a host driver are moved by the hook, so they only matter without it.
   */
  private static Check group(HostState host, HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    Planner.Preview p = e.preview();
    if (!p.wouldPrepare()) {
      List<String> blockers = new ArrayList<>();
      for (Refusal r : p.refusals()) {
        blockers.add(r.device() + idOf(host, r.device()).map(i -> " (" + i + ")").orElse("") + " " + r.reason());
      }
      return Check.fail(
          GROUP, subject, "IOMMU group " + d.iommuGroup().orElse(-1) + " is not viable: " + String.join("; ", blockers),
          fixes(p.refusals()));
    }
    int n = p.members().get(0).group();
    String size = "IOMMU group " + n + " (" + p.members().size() + (p.members().size() == 1 ? " device" : " devices") + ")";
    List<Plan.Member> moved = p.members().stream().filter(m -> m.action() == Plan.Action.BIND && !m.requested()).toList();
    if (moved.isEmpty()) {
      boolean self = p.members().stream().anyMatch(m -> m.action() == Plan.Action.BIND);
      return Check.pass(
          GROUP, subject,
          size + " is viable: " + (self ? "no other endpoint is on a host driver" : "every endpoint is on vfio-pci or no driver"));
    }
    List<String> names = new ArrayList<>();
    for (Plan.Member m : moved) {
      String drv = "on " + m.driver().orElse("no driver");
      names.add(m.address() + " (" + idOf(host, m.address()).map(i -> i + ", ").orElse("") + drv + ")");
    }
    if (host.hookInstalled()) {
      return Check.pass(
          GROUP, subject,
          size + " is viable: the one-pci hook moves " + String.join(", ", names) + " to vfio-pci with it when a VM starts");
    }
    return Check.warn(
        GROUP, subject,
        "IOMMU group " + n + " is not viable without the one-pci hook, and it is not installed: libvirt moves only the device a VM is given, and "
            + String.join(", ", names) + (moved.size() == 1 ? " stays" : " stay") + " on the host",
        Fixes.hookInstall());
  }

  /** {@code 10de:22e8}, or nothing when the device cannot be read. */
  private static Optional<String> idOf(HostState host, PciAddress a) {
    try {
      PciId i = host.reader().identity(a);
      return Optional.of(String.format("%04x:%04x", i.vendor(), i.device()));
    } catch (DeviceReadException ex) {
      return Optional.empty();
    }
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

  /**
   * An NVSwitch on the host's NVIDIA driver ({@code nvidia-nvswitch}, the nvidia module's NVSwitch
   * driver, or {@code nvidia}): the host's Fabric Manager drives it, and a VM's cannot.
   */
  private static Check nvSwitchHostDriver(HostState.Examined e) {
    PciDevice d = e.device();
    String subject = d.address().toString();
    Optional<String> drv = d.driver().filter(NVSWITCH_HOST_DRIVERS::contains);
    if (drv.isEmpty()) {
      return Check.pass(HOST_DRIVER, subject, "the NVSwitch is not on nvidia-nvswitch or nvidia");
    }
    if (e.selected()) {
      return Check.fail(
          HOST_DRIVER, subject,
          "the NVSwitch is on the host driver " + drv.get() + " although the probe offers it to VMs: QEMU cannot take it while "
              + drv.get() + " holds it, and the VM's Fabric Manager needs it for NVLink",
          Fixes.override(d.address()));
    }
    return Check.warn(
        HOST_DRIVER, subject,
        "the NVSwitch is on the host driver " + drv.get() + " and the probe filter leaves it out: a VM given this board's GPUs has no NVLink",
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
