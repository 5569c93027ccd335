package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onepci.sysfs.HostPaths;

/** one-pci's libvirt QEMU hook, which moves a VM's IOMMU groups to vfio-pci and back. */
final class LibvirtHookCheck implements CheckGroup {

  static final String NAME = "libvirt-hook";
  static final String HOOK_NAME = "one-pci";

  /** Whether libvirt runs the hook: an executable file in its QEMU hooks folder. */
  static boolean isInstalled(HostPaths paths) {
    Path hook = paths.libvirtQemuHooks().resolve(HOOK_NAME);
    return Files.isRegularFile(hook) && Files.isExecutable(hook);
  }

  @Override
  public List<Check> run(HostState host) {
    Path hook = host.paths().libvirtQemuHooks().resolve(HOOK_NAME);
    if (!Files.exists(hook)) {
      if (Files.isDirectory(host.paths().libvirtQemuHooks()) && host.paths().libvirtQemuHooks().toFile().list() == null) {
        return List.of(Check.warn(NAME, Check.HOST, "cannot list " + hook.getParent(), Fixes.asRoot()));
      }
      return List.of(Check.fail(
          NAME, Check.HOST, "no " + hook + ": nothing gives a VM's whole IOMMU group to vfio-pci when it starts",
          Fixes.hookInstall()));
    }
    if (!host.hookInstalled()) {
      return List.of(Check.fail(NAME, Check.HOST, hook + " is not an executable file: libvirt does not run it", Fixes.hookMode()));
    }
    return List.of(Check.pass(NAME, Check.HOST, hook + " is installed (libvirtd runs hooks it found at its start)"));
  }
}
