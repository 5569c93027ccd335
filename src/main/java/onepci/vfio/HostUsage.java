package onepci.vfio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import onepci.sysfs.HostPaths;
import onepci.sysfs.NetInterface;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SysfsReader;

/**
 * What the host itself needs from a device, read once per plan: mounted filesystems and active
 * swap (by block device), the interfaces of the default routes, and whether a framebuffer console
 * is bound. A device the host needs is never taken from it.
 */
public final class HostUsage {

  private final HostPaths paths;
  private final SysfsReader reader;
  private final List<String[]> mounts;
  private final List<String> swaps;
  private final Set<String> defaultRouteIfaces;
  private final Optional<String> framebufferConsole;

  public HostUsage(HostPaths paths, SysfsReader reader) {
    this.paths = paths;
    this.reader = reader;
    this.mounts = mounts(paths.procMounts());
    this.swaps = swaps(paths.procSwaps());
    this.defaultRouteIfaces = defaultRoutes(paths);
    this.framebufferConsole = framebufferConsole(paths);
  }

  /** The reasons the host needs this device, none when it can go. */
  public List<Refusal> check(PciDevice d) {
    List<Refusal> out = new ArrayList<>();
    Set<String> blocks = blockDevicesBelow(d);
    for (String[] m : mounts) {
      if (matches(m[0], blocks)) {
        out.add(new Refusal(d.address(),
            "holds " + m[0] + ", mounted on " + m[1],
            "unmount " + m[1] + " and remove it from /etc/fstab, or pass through another device"));
      }
    }
    for (String s : swaps) {
      if (matches(s, blocks)) {
        out.add(new Refusal(d.address(), "holds " + s + ", in use as swap", "run 'swapoff " + s + "' and remove it from /etc/fstab"));
      }
    }
    for (String ifname : ifacesAndUppers(d)) {
      if (defaultRouteIfaces.contains(ifname)) {
        out.add(new Refusal(d.address(),
            "carries " + ifname + ", the interface of the host's default route",
            "move the default route to another interface, or pass through another NIC"));
      }
    }
    if (framebufferConsole.isPresent() && reader.attribute(d.address(), "boot_vga").orElse("0").equals("1")) {
      out.add(new Refusal(d.address(),
          "is the boot VGA device and drives the host console (" + framebufferConsole.get() + ")",
          "boot the host with video=efifb:off (or use another GPU for the console), or write 0 to " + framebufferConsole.get() + "/bind"));
    }
    return out;
  }

  // --- block devices --------------------------------------------------------------------------

  /** {@code /dev} names of every block device below the device, with their holders (dm, md). */
  Set<String> blockDevicesBelow(PciDevice d) {
    Set<String> names = new LinkedHashSet<>();
    Path dev;
    try {
      dev = paths.pciDevice(d.address()).toRealPath();
    } catch (IOException e) {
      return names;
    }
    for (String b : reader.folderNames(paths.blockDevices())) {
      try {
        if (paths.blockDevices().resolve(b).toRealPath().startsWith(dev)) {
          addWithHolders(b, names);
        }
      } catch (IOException e) {
        // a block device that vanished while we looked: not below anything
      }
    }
    Set<String> out = new LinkedHashSet<>();
    for (String n : names) {
      out.add(HostPaths.devNodeName(n));
      SysfsReader.readSmall(paths.blockDevices().resolve(n).resolve("dm/name"))
          .ifPresent(dm -> out.add(HostPaths.devNodeName("mapper/" + dm)));
    }
    return out;
  }

  private void addWithHolders(String name, Set<String> names) {
    if (!names.add(name)) {
      return;
    }
    for (String h : reader.folderNames(paths.blockDevices().resolve(name).resolve("holders"))) {
      addWithHolders(h, names);
    }
  }

  /** A mount source or swap file names one of the block devices, directly or through a /dev link. */
  private boolean matches(String source, Set<String> devNames) {
    if (devNames.isEmpty() || !source.startsWith(HostPaths.devNodeName(""))) {
      return false;
    }
    if (devNames.contains(source)) {
      return true;
    }
    Path p = paths.dev().resolve(source.substring(HostPaths.devNodeName("").length()));
    try {
      Path real = p.toRealPath();
      if (real.startsWith(paths.dev())) {
        return devNames.contains(HostPaths.devNodeName(paths.dev().relativize(real).toString()));
      }
    } catch (IOException e) {
      // no such node under this root: the plain name was the only way to match
    }
    return false;
  }

  private static List<String[]> mounts(Path procMounts) {
    List<String[]> out = new ArrayList<>();
    for (String line : lines(procMounts)) {
      String[] f = line.split(" ");
      if (f.length >= 2) {
        out.add(new String[] {unescape(f[0]), unescape(f[1])});
      }
    }
    return out;
  }

  private static List<String> swaps(Path procSwaps) {
    List<String> out = new ArrayList<>();
    List<String> l = lines(procSwaps);
    for (int i = 1; i < l.size(); i++) {
      String[] f = l.get(i).trim().split("\\s+");
      if (f.length >= 1 && !f[0].isEmpty()) {
        out.add(unescape(f[0]));
      }
    }
    return out;
  }

  /** The kernel writes space, tab, newline and backslash in mount fields as octal escapes. */
  static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  // --- network --------------------------------------------------------------------------------

  /** The device's interfaces and every bond, bridge or VLAN stacked on them. */
  private Set<String> ifacesAndUppers(PciDevice d) {
    Set<String> out = new LinkedHashSet<>();
    for (NetInterface n : d.netInterfaces()) {
      addWithUppers(n.name(), out);
    }
    return out;
  }

  private void addWithUppers(String ifname, Set<String> out) {
    if (!out.add(ifname)) {
      return;
    }
    Path dir = paths.netDevices().resolve(ifname);
    for (String e : reader.folderNames(dir)) {
      if (e.startsWith("upper_")) {
        addWithUppers(e.substring("upper_".length()), out);
      }
    }
    try {
      Path master = Files.readSymbolicLink(dir.resolve("master")).getFileName();
      if (master != null) {
        addWithUppers(master.toString(), out);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not enslaved
    }
  }

  /** Interfaces of the IPv4 ({@code 0.0.0.0/0}) and IPv6 ({@code ::/0}) default routes. */
  static Set<String> defaultRoutes(HostPaths paths) {
    Set<String> out = new LinkedHashSet<>();
    List<String> v4 = lines(paths.procNetRoute());
    for (int i = 1; i < v4.size(); i++) {
      String[] f = v4.get(i).trim().split("\\s+");
      if (f.length >= 8 && f[1].equals("00000000") && f[7].equals("00000000")) {
        out.add(f[0]);
      }
    }
    for (String line : lines(paths.procNetIpv6Route())) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 10 && f[0].matches("0{32}") && f[1].equals("00") && !f[9].equals("lo")) {
        out.add(f[9]);
      }
    }
    return out;
  }

  // --- console --------------------------------------------------------------------------------

  /** The bound framebuffer virtual console ({@code .../vtconsole/vtcon1}), if any. */
  static Optional<String> framebufferConsole(HostPaths paths) {
    String[] names = paths.vtconsoles().toFile().list();
    if (names == null) {
      return Optional.empty();
    }
    java.util.Arrays.sort(names);
    for (String n : names) {
      Path vt = paths.vtconsoles().resolve(n);
      boolean bound = SysfsReader.readSmall(vt.resolve("bind")).orElse("0").equals("1");
      boolean fb = SysfsReader.readSmall(vt.resolve("name")).orElse("").contains("frame buffer");
      if (bound && fb) {
        return Optional.of(vt.toString());
      }
    }
    return Optional.empty();
  }

  private static List<String> lines(Path p) {
    try {
      return Files.readAllLines(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
