package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

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
    Path hook = host.paths().libvirtQemuHooks().resolve(LibvirtHookCheck.HOOK_NAME);
    if (host.hookInstalled()) {
      return Check.warn(
          LOADED, Check.HOST,
          "vfio-pci is not loaded (no " + module + "); the libvirt hook " + hook + " loads it when a VM with a PCI device starts",
          Fixes.modprobe());
    }
    return Check.fail(LOADED, Check.HOST, "vfio-pci is not loaded (no " + module + ") and no libvirt hook " + hook + " loads it", Fixes.modprobe());
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
