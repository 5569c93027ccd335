package onepci.doctor;

import java.nio.file.Files;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;

/**
 * The commands the report tells a person to run. They name the host's real paths, whatever root
 * the doctor read: the commands are run on the real host.
 */
final class Fixes {

  private static final HostPaths HOST = HostPaths.real();

  private Fixes() {}

  /**
   * Adds a kernel parameter for every boot, then reboots: GRUB_CMDLINE_LINUX_DEFAULT and
   * {@code update-grub} on Debian and Ubuntu, {@code grubby} on the RHEL family, both when the
   * distribution is unknown.
   */
  static String kernelParameter(Distro distro, String parameter) {
    return perDistro(
        distro,
        "sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&" + parameter + " /' " + HOST.defaultGrub() + " && update-grub && reboot",
        "grubby --update-kernel=ALL --args=" + parameter + " && reboot");
  }

  /** Turns the IOMMU on for the CPU this host has: the vendor's parameter, or a command that picks it when unknown. */
  static String iommuParameter(Distro distro, IommuVendor vendor) {
    if (vendor != IommuVendor.UNKNOWN) {
      return kernelParameter(distro, vendor.parameter);
    }
    String pick = "p=intel_iommu=on; grep -q AuthenticAMD " + HOST.procCpuinfo() + " && p=amd_iommu=on; ";
    return perDistro(
        distro,
        pick + "sed -i \"s/^GRUB_CMDLINE_LINUX_DEFAULT=\\\"/&$p /\" " + HOST.defaultGrub() + " && update-grub && reboot",
        pick + "grubby --update-kernel=ALL --args=$p && reboot");
  }

  /** Replaces a kernel parameter for every boot, then reboots. */
  static String replaceKernelParameter(Distro distro, String old, String parameter) {
    return perDistro(
        distro,
        "sed -i '/^GRUB_CMDLINE_LINUX/s/" + old + "/" + parameter + "/' " + HOST.defaultGrub() + " && update-grub && reboot",
        "grubby --update-kernel=ALL --remove-args=" + old + " --args=" + parameter + " && reboot");
  }

  /** The IOMMU is off although the kernel is told to turn it on: the firmware has it disabled. */
  static String firmwareIommu(IommuVendor vendor) {
    return "enable " + vendor.firmwareName + " (also called IOMMU) in the firmware setup (BIOS/UEFI), then boot again";
  }

  private static String perDistro(Distro distro, String grub, String grubby) {
    return switch (distro) {
      case DEBIAN -> grub;
      case RHEL -> grubby;
      case UNKNOWN -> "on Debian or Ubuntu: " + grub + "; on RHEL, AlmaLinux, Rocky, Oracle Linux or Fedora: " + grubby;
    };
  }

  /**
   * The fix, preceded by driverctl's installation when it uses driverctl and no driverctl is
   * installed in the usual places under the host's root.
   */
  static String withDriverctl(String fix, HostPaths paths, Distro distro) {
    if (!fix.contains("driverctl ") || paths.commandCandidates("driverctl").stream().anyMatch(Files::isExecutable)) {
      return fix;
    }
    return switch (distro) {
      case DEBIAN -> "apt-get install -y driverctl && " + fix;
      case RHEL -> "dnf install -y driverctl && " + fix;
      case UNKNOWN ->
          "install driverctl (apt-get install -y driverctl on Debian or Ubuntu, dnf install -y driverctl on the RHEL family), then: " + fix;
    };
  }

  /** Binds a device to vfio-pci now and at every boot, as the guide does. */
  static String override(PciAddress address) {
    return "driverctl set-override " + address + " vfio-pci";
  }

  static String modprobe() {
    return "modprobe vfio-pci";
  }

  static String modulesLoad() {
    return "echo vfio-pci > " + HOST.modulesLoadDir().resolve("one-pci-vfio.conf");
  }

  static String devVfio(int group) {
    String node = HOST.devVfioGroup(group).toString();
    return "chgrp kvm " + node + " && chmod 0666 " + node;
  }

  static String udevRule() {
    return "echo 'SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0666\"' > "
        + HOST.udevRulesDirs().resolve("99-one-pci-vfio.rules")
        + " && udevadm control --reload && udevadm trigger --subsystem-match=vfio";
  }

  static String probeFilter() {
    return "on the front-end, set  :filter: '10de:*'  in "
        + HOST.frontendRemotes().resolve("etc/im/kvm-probes.d/pci.conf")
        + ", then: onehost sync -f";
  }

  static String frontendInstall() {
    return "on the front-end, in the one-pci checkout: ./install.sh && onehost sync -f";
  }

  static String hostSync() {
    return "on the front-end: onehost sync -f";
  }

  /** Installs the hook's root-owned jar from the checkout's build. */
  static String hostJar() {
    return "on this host, in the one-pci checkout: ./install.sh --host";
  }

  /** Puts the same one-pci build on the front-end (and so in the probe) and in the hook. */
  static String sameJar() {
    return "install one version everywhere: on the front-end, in the one-pci checkout: ./install.sh && onehost sync -f; "
        + "then on this host, in a checkout of the same version: ./install.sh --host";
  }

  static String java() {
    return "apt-get install openjdk-17-jre-headless";
  }

  static String hookInstall() {
    return "./install.sh --host && systemctl restart libvirtd";
  }

  static String hookMode() {
    return "chmod 0755 " + HOST.libvirtQemuHooks().resolve(LibvirtHookCheck.HOOK_NAME) + " && systemctl restart libvirtd";
  }

  /** For what could not be read: the same check as a user who can read it. */
  static String asRoot() {
    return "run the doctor again as root (sudo java -jar one-pci.jar doctor)";
  }
}
