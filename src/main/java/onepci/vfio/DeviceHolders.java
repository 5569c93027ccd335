package onepci.vfio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.SysfsReader;

/**
 * Which processes hold a device's {@code /dev} nodes open: what to say when an unbind hangs.
 *
 * <p>A device's nodes are the {@code DEVNAME}s in the {@code uevent} files below its sysfs folder
 * ({@code dri/card0}, {@code dri/renderD128}), {@code /dev/nvidiaN} for an NVIDIA GPU (N is the
 * "Device Minor" of {@code /proc/driver/nvidia/gpus/<address>/information}) and
 * {@code /dev/vfio/<group>}. The holders are found through {@code /proc/<pid>/fd}.
 */
public final class DeviceHolders {

  private final HostPaths paths;

  public DeviceHolders(HostPaths paths) {
    this.paths = paths;
  }

  /** {@code pid 4242 (nvidia-smi) holds /dev/nvidia0}, one per process and node, sorted by pid. */
  public List<String> describe(PciAddress address, int group) {
    Set<String> nodes = nodes(address, group);
    List<String> out = new ArrayList<>();
    String[] pids = paths.proc().toFile().list();
    if (pids == null || nodes.isEmpty()) {
      return out;
    }
    List<Long> sorted = new ArrayList<>();
    for (String p : pids) {
      if (p.matches("[0-9]+")) {
        sorted.add(Long.parseLong(p));
      }
    }
    sorted.sort(null);
    for (long pid : sorted) {
      Set<String> held = new LinkedHashSet<>();
      Path fdDir = paths.procFds(pid);
      String[] fds = fdDir.toFile().list();
      if (fds == null) {
        continue;
      }
      for (String fd : fds) {
        try {
          String target = Files.readSymbolicLink(fdDir.resolve(fd)).toString();
          if (nodes.contains(target)) {
            held.add(target);
          }
        } catch (IOException | UnsupportedOperationException e) {
          // the descriptor was closed while we looked
        }
      }
      if (held.isEmpty()) {
        continue;
      }
      String comm = SysfsReader.readSmall(paths.procComm(pid)).orElse("?");
      for (String node : held.stream().sorted().toList()) {
        out.add("pid " + pid + " (" + comm + ") holds " + node);
      }
    }
    return out;
  }

  Set<String> nodes(PciAddress address, int group) {
    Set<String> out = new LinkedHashSet<>();
    // the bus entry is a link: walk the device's real folder, without following links inside it
    try (Stream<Path> s = Files.walk(paths.pciDevice(address).toRealPath(), 3)) {
      s.filter(p -> p.getFileName().toString().equals("uevent"))
          .forEach(u -> devname(u).ifPresent(n -> out.add(HostPaths.devNodeName(n))));
    } catch (IOException | java.io.UncheckedIOException e) {
      // a folder that vanished while we walked: report what was found
    }
    SysfsReader.readSmall(paths.procNvidiaGpu(address))
        .flatMap(DeviceHolders::nvidiaMinor)
        .ifPresent(m -> out.add(HostPaths.devNodeName("nvidia" + m)));
    out.add(HostPaths.devNodeName("vfio/" + group));
    return out;
  }

  private static Optional<String> devname(Path uevent) {
    return SysfsReader.readSmall(uevent)
        .flatMap(t -> t.lines().filter(l -> l.startsWith("DEVNAME=")).findFirst())
        .map(l -> l.substring("DEVNAME=".length()));
  }

  private static Optional<String> nvidiaMinor(String information) {
    return information.lines()
        .filter(l -> l.startsWith("Device Minor:"))
        .findFirst()
        .map(l -> l.substring("Device Minor:".length()).strip());
  }
}
