package onepci.sysfs;

import java.nio.file.Path;
import java.util.List;

/**
 * Every host path this project reads or writes, resolved against one root.
 *
 * <p>The root is {@code /} on a real host and a scratch folder in tests ({@code --sysfs-root}).
 * Nothing else in the code base names {@code /sys}, {@code /etc}, {@code /dev} or {@code /var}.
 */
public record HostPaths(Path root) {

  public HostPaths {
    root = root.toAbsolutePath().normalize();
  }

  public static HostPaths real() {
    return new HostPaths(Path.of("/"));
  }

  public boolean isRealRoot() {
    return root.getParent() == null;
  }

  public Path resolve(String relative) {
    return root.resolve(relative);
  }

  // --- /sys ---------------------------------------------------------------------------------

  public Path pciDevices() {
    return root.resolve("sys/bus/pci/devices");
  }

  public Path pciDevice(PciAddress address) {
    return pciDevices().resolve(address.toString());
  }

  public Path pciDrivers() {
    return root.resolve("sys/bus/pci/drivers");
  }

  public Path pciDriver(String name) {
    return pciDrivers().resolve(name);
  }

  public Path pciDriversProbe() {
    return root.resolve("sys/bus/pci/drivers_probe");
  }

  public Path iommuGroups() {
    return root.resolve("sys/kernel/iommu_groups");
  }

  /** The IOMMU units the kernel registered: {@code dmar0} (Intel VT-d), {@code ivhd0} (AMD-Vi). */
  public Path iommuUnits() {
    return root.resolve("sys/class/iommu");
  }

  public Path iommuGroupDevices(int group) {
    return iommuGroups().resolve(Integer.toString(group)).resolve("devices");
  }

  public Path mdevBus(PciAddress address) {
    return root.resolve("sys/class/mdev_bus").resolve(address.toString());
  }

  public Path sysModule(String module) {
    return root.resolve("sys/module").resolve(module);
  }

  public Path blockDevices() {
    return root.resolve("sys/class/block");
  }

  public Path netDevices() {
    return root.resolve("sys/class/net");
  }

  public Path vtconsoles() {
    return root.resolve("sys/class/vtconsole");
  }

  /** The CPUs of one NUMA node, as a kernel CPU list ({@code 0-15,32-47}). */
  public Path numaNodeCpulist(int node) {
    return root.resolve("sys/devices/system/node/node" + node + "/cpulist");
  }

  /** The CPUs sharing a physical core with {@code cpu} (its hyper-threads), as a CPU list. */
  public Path cpuThreadSiblings(int cpu) {
    return root.resolve("sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list");
  }

  // --- /proc --------------------------------------------------------------------------------

  public Path procCmdline() {
    return root.resolve("proc/cmdline");
  }

  public Path procCpuinfo() {
    return root.resolve("proc/cpuinfo");
  }

  /** The mount table with each filesystem's device number ({@code major:minor}, field 3). */
  public Path procMountinfo() {
    return root.resolve("proc/self/mountinfo");
  }

  public Path procSwaps() {
    return root.resolve("proc/swaps");
  }

  public Path procNetRoute() {
    return root.resolve("proc/net/route");
  }

  public Path procModules() {
    return root.resolve("proc/modules");
  }

  /** The running kernel's release ({@code uname -r}). */
  public Path procKernelRelease() {
    return root.resolve("proc/sys/kernel/osrelease");
  }

  /** The modules of kernel {@code release}: {@code modules.dep} and {@code modules.builtin} list them. */
  public Path kernelModules(String release) {
    return root.resolve("lib/modules").resolve(release);
  }

  public Path proc() {
    return root.resolve("proc");
  }

  /** The kernel's list of PCI functions with their ids, one line each (no PCI domain in it). */
  public Path procBusPciDevices() {
    return root.resolve("proc/bus/pci/devices");
  }

  public Path procNetIpv6Route() {
    return root.resolve("proc/net/ipv6_route");
  }

  /** IPv6's settings: absent when the kernel runs without IPv6 ({@code ipv6.disable=1}, or not built). */
  public Path procSysNetIpv6() {
    return root.resolve("proc/sys/net/ipv6");
  }

  /** The open file descriptors of process {@code pid}: links to what it holds open. */
  public Path procFds(long pid) {
    return proc().resolve(Long.toString(pid)).resolve("fd");
  }

  public Path procCmdlineOf(long pid) {
    return proc().resolve(Long.toString(pid)).resolve("cmdline");
  }

  public Path procComm(long pid) {
    return proc().resolve(Long.toString(pid)).resolve("comm");
  }

  /** The NVIDIA driver's report on one GPU ({@code Device Minor: N} names its /dev/nvidiaN). */
  public Path procNvidiaGpu(PciAddress address) {
    return root.resolve("proc/driver/nvidia/gpus").resolve(address.toString()).resolve("information");
  }

  // --- /dev, /etc, /var ---------------------------------------------------------------------

  public Path devVfio() {
    return root.resolve("dev/vfio");
  }

  /** The character device QEMU opens for an IOMMU group: {@code /dev/vfio/<group>}. */
  public Path devVfioGroup(int group) {
    return devVfio().resolve(Integer.toString(group));
  }

  /**
   * A device node's name as the host's processes and mount table spell it ({@code /dev/sda1}),
   * whatever the root: the kernel writes these absolute names into {@code /proc}.
   */
  public static String devNodeName(String devname) {
    return "/dev/" + devname;
  }

  /** The folder of device nodes under the root ({@code /dev}). */
  public Path dev() {
    return root.resolve("dev");
  }

  public Path etc() {
    return root.resolve("etc");
  }

  public Path udevRenameRules() {
    return root.resolve("etc/udev/rules.d/99-rename.rules");
  }

  public Path udevRulesDirs() {
    return root.resolve("etc/udev/rules.d");
  }

  public Path modulesLoadDir() {
    return root.resolve("etc/modules-load.d");
  }

  public Path libvirtHooks() {
    return root.resolve("etc/libvirt/hooks");
  }

  /** The folder of libvirt's QEMU hook scripts; one-pci's is {@code one-pci} in it. */
  public Path libvirtQemuHooks() {
    return libvirtHooks().resolve("qemu.d");
  }

  /** Where driverctl keeps persistent overrides, one file {@code pci-<address>} each. */
  public Path driverctlOverrides() {
    return root.resolve("etc/driverctl.d");
  }

  /** Debian's list of modules loaded at boot, beside {@link #modulesLoadDir()}. */
  public Path etcModules() {
    return root.resolve("etc/modules");
  }

  /** The GRUB settings that hold the kernel command line. */
  public Path defaultGrub() {
    return root.resolve("etc/default/grub");
  }

  /** udev rules shipped by packages; {@link #udevRulesDirs()} holds the administrator's. */
  public Path udevPackageRules() {
    return root.resolve("usr/lib/udev/rules.d");
  }

  /** Where Debian and RHEL-like hosts install Java runtimes. */
  public Path jvms() {
    return root.resolve("usr/lib/jvm");
  }

  public Path etcGroup() {
    return root.resolve("etc/group");
  }

  /** Host-local OpenNebula state that {@code onehost sync} does not wipe. */
  public Path oneDb() {
    return root.resolve("var/tmp/one_db");
  }

  public Path netNameCache() {
    return oneDb().resolve("pci_net_names");
  }

  public Path monitorClientPid() {
    return oneDb().resolve(".monitor_client.pid");
  }

  /** Where {@code onehost sync} puts the front-end's remotes on a host. */
  public Path oneRemotes() {
    return root.resolve("var/tmp/one");
  }

  /** The KVM system probes folder under the synced remotes, where pci-probe runs from. */
  public Path oneSystemProbes() {
    return oneRemotes().resolve("im/kvm-probes.d/host/system");
  }

  /** The jar {@code onehost sync} puts beside pci-probe: what the probe runs, as oneadmin. */
  public Path syncedProbeJar() {
    return oneSystemProbes().resolve("one-pci.jar");
  }

  /**
   * The jar the libvirt hook runs: the root-owned copy {@code install.sh --host} puts on a host
   * (the synced one is writable by oneadmin, and the hook runs as root).
   */
  public Path hookJar() {
    return root.resolve("usr/lib/one-pci/one-pci.jar");
  }

  /** The probe's pci.conf as {@code onehost sync} puts it on a host. */
  public Path onePciConf() {
    return oneRemotes().resolve("etc/im/kvm-probes.d/pci.conf");
  }

  /** The front-end's remotes, copied to every host's {@link #oneRemotes()} by {@code onehost sync}. */
  public Path frontendRemotes() {
    return root.resolve("var/lib/one/remotes");
  }

  /** Root-only state of the vfio hooks; {@code /run} is a tmpfs, gone at reboot like bindings. */
  public Path vfioState() {
    return root.resolve("run/one-pci");
  }

  /** The places lspci's database is found on common distributions, in the order tried. */
  public List<Path> pciIdsCandidates() {
    return List.of(
        root.resolve("usr/share/misc/pci.ids"),
        root.resolve("usr/share/hwdata/pci.ids"),
        root.resolve("usr/share/pci.ids"),
        root.resolve("usr/share/misc/pci.ids.gz"),
        root.resolve("usr/share/hwdata/pci.ids.gz"),
        root.resolve("usr/share/pci.ids.gz"));
  }

  /**
   * The places of udev's compiled hardware database, in the order sd-hwdb tries them: systemd's
   * {@code HWDB_BIN_PATHS}, with the split-/usr places Debian 12's libudev also tries
   * ({@code /lib/...}) before the merged-/usr one newer builds use ({@code /usr/lib/udev}).
   */
  public List<Path> hwdbCandidates() {
    return List.of(
        root.resolve("etc/systemd/hwdb/hwdb.bin"),
        root.resolve("etc/udev/hwdb.bin"),
        root.resolve("usr/lib/systemd/hwdb/hwdb.bin"),
        root.resolve("lib/systemd/hwdb/hwdb.bin"),
        root.resolve("lib/udev/hwdb.bin"),
        root.resolve("usr/lib/udev/hwdb.bin"));
  }

  /** The distribution's identity (os-release(5)): {@code /etc/os-release}, else {@code /usr/lib/os-release}. */
  public List<Path> osReleaseCandidates() {
    return List.of(root.resolve("etc/os-release"), root.resolve("usr/lib/os-release"));
  }

  /** Where a system command is installed, in the order a root shell's PATH looks. */
  public List<Path> commandCandidates(String name) {
    return List.of(
        root.resolve("usr/local/sbin").resolve(name),
        root.resolve("usr/local/bin").resolve(name),
        root.resolve("usr/sbin").resolve(name),
        root.resolve("usr/bin").resolve(name),
        root.resolve("sbin").resolve(name),
        root.resolve("bin").resolve(name));
  }
}
