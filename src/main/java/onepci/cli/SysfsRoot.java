package onepci.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import onepci.sysfs.HostPaths;

/**
 * The root a command reads the host from must be there: a {@code --sysfs-root} that names no
 * folder, or a root without {@code sys/bus/pci/devices}, is an error naming the path, never an
 * empty host ("no device is on vfio-pci").
 */
final class SysfsRoot {

  private SysfsRoot() {}

  /** What is wrong with the root, in words naming the path; empty when it holds a PCI device list. */
  static Optional<String> problem(HostPaths paths) {
    Path root = paths.root();
    if (!Files.isDirectory(root)) {
      return Optional.of(
          root + ": " + (Files.exists(root) ? "not a directory" : "no such directory")
              + " (--sysfs-root DIR names a folder standing in for /, holding sys/bus/pci/devices)");
    }
    Path devices = paths.pciDevices();
    if (!Files.isDirectory(devices)) {
      return Optional.of(
          devices + ": no such directory ("
              + (paths.isRealRoot() ? "is sysfs mounted?" : "--sysfs-root DIR names a folder standing in for /, holding sys/bus/pci/devices")
              + ")");
    }
    return Optional.empty();
  }
}
