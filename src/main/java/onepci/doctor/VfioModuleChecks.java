package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The guide's "Ensure vfio-pci module is loaded on boot": loaded now (a warning only when one-pci's
 * libvirt hook, which loads it itself, is installed), and listed for boot.
 */
final class VfioModuleChecks implements CheckGroup {

  static final String LOADED = "vfio-module";
  static final String BOOT = "vfio-boot";

  @Override
  public List<Check> run(HostState host) {
    return List.of(loaded(host), boot(host));
  }

  private static Check loaded(HostState host) {
    Path module = host.paths().sysModule("vfio_pci");
    if (Files.isDirectory(module)) {
      return Check.pass(LOADED, Check.HOST, "vfio-pci is loaded (" + module + ")");
    }
    Path all = module.getParent();
    if (all.toFile().list() == null) {
      return Check.warn(LOADED, Check.HOST, "cannot list " + all + ": whether vfio-pci is loaded is unknown", Fixes.asRoot());
    }
    Optional<String> cannot = notLoadable(host);
    if (cannot.isPresent()) {
      return Check.fail(
          LOADED, Check.HOST, "vfio-pci is not loaded (no " + module + ") and cannot be: " + cannot.get(),
          "install the modules of the running kernel (Debian, Ubuntu: apt install linux-image-$(uname -r); RHEL-like: "
              + "dnf install kernel-modules-$(uname -r)), or reboot into the kernel whose modules are installed");
    }
    Path hook = host.paths().libvirtQemuHooks().resolve(LibvirtHookCheck.HOOK_NAME);
    if (host.hookInstalled()) {
      return Check.warn(
          LOADED, Check.HOST,
          "vfio-pci is not loaded (no " + module + "); the libvirt hook " + hook + " loads it when a VM with a PCI device starts",
          Fixes.modprobe());
    }
    return Check.fail(LOADED, Check.HOST, "vfio-pci is not loaded (no " + module + ") and no libvirt hook " + hook + " loads it", Fixes.modprobe());
  }

  /** A vfio-pci module file, as modules.dep and modules.builtin name it ({@code kernel/drivers/vfio/pci/vfio-pci.ko.xz}). */
  private static final Pattern MODULE_FILE = Pattern.compile("(?m)(?:^|/)vfio-pci\\.ko(?:\\.[a-z0-9]+)?(?::|$)");

  /**
   * Why modprobe could not load vfio-pci for the running kernel: its modules folder is gone (a
   * kernel upgrade removed it) or lists no vfio-pci; nothing when it can, or when that is unknown
   * (the kernel release or modules.dep cannot be read).
   */
  private static Optional<String> notLoadable(HostState host) {
    if (!(FileRead.of(host.paths().procKernelRelease()) instanceof FileRead.Text release)) {
      return Optional.empty();
    }
    Path dir = host.paths().kernelModules(release.text().strip());
    if (!Files.isDirectory(dir)) {
      return Optional.of("no " + dir + ", the running kernel's modules (removed by a kernel upgrade?)");
    }
    Path dep = dir.resolve("modules.dep");
    if (!(FileRead.of(dep) instanceof FileRead.Text deps)) {
      return Optional.empty();
    }
    if (MODULE_FILE.matcher(deps.text()).find()
        || FileRead.of(dir.resolve("modules.builtin")) instanceof FileRead.Text b && MODULE_FILE.matcher(b.text()).find()) {
      return Optional.empty();
    }
    return Optional.of(dep + " lists no vfio-pci module for the running kernel");
  }

  private static Check boot(HostState host) {
    Path dir = host.paths().modulesLoadDir();
    List<Path> files = new ArrayList<>();
    String[] names = dir.toFile().list();
    if (names == null && Files.isDirectory(dir)) {
      return Check.warn(BOOT, Check.HOST, "cannot list " + dir + ": whether vfio-pci loads at boot is unknown", Fixes.asRoot());
    }
    if (names != null) {
      Arrays.sort(names);
      for (String n : names) {
        if (n.endsWith(".conf")) {
          files.add(dir.resolve(n));
        }
      }
    }
    files.add(host.paths().etcModules());
    List<String> unreadable = new ArrayList<>();
    for (Path f : files) {
      FileRead r = FileRead.of(f);
      if (r instanceof FileRead.Text t && listsVfioPci(t.text())) {
        return Check.pass(BOOT, Check.HOST, "vfio-pci is loaded at boot by " + f);
      }
      if (r instanceof FileRead.Unreadable u) {
        unreadable.add(f + " (" + u.reason() + ")");
      }
    }
    Optional<String> notRead = unreadable.isEmpty() ? Optional.empty() : Optional.of("; could not read " + String.join(", ", unreadable));
    return Check.warn(
        BOOT, Check.HOST,
        "no file in " + dir + " or " + host.paths().etcModules() + " loads vfio-pci at boot" + notRead.orElse(""),
        Fixes.modulesLoad());
  }

  /** A line naming the module, as modules-load.d(5) reads it ({@code #} and {@code ;} start comments). */
  private static boolean listsVfioPci(String text) {
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (l.startsWith("#") || l.startsWith(";")) {
        continue;
      }
      String first = l.split("\\s+")[0];
      if (first.equals("vfio-pci") || first.equals("vfio_pci")) {
        return true;
      }
    }
    return false;
  }
}
