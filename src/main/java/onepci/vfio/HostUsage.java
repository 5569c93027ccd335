package onepci.vfio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import onepci.sysfs.HostPaths;
import onepci.sysfs.NetInterface;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SysfsReader;

/**
 * What the host itself needs from a device, read once per plan: mounted filesystems and active
 * swap (by block device), the interfaces of the default routes, and whether a framebuffer console
 * is bound. A device the host needs is never taken from it.
 *
 * <p>Fails closed: a table that cannot be read (the mount table, the swap list, a route table) or
 * a block device whose number cannot be read is a refusal naming the file, never "not in use".
 *
 * <p>Filesystems are matched by device number: {@code /proc/self/mountinfo} gives the
 * {@code major:minor} of each mount, whatever its source is called ({@code /dev/root},
 * {@code rootfs}, a {@code /dev/disk/by-*} link), and every block device below the PCI function
 * (its disks, their partitions, and the dm and md devices holding them, recursively) has its
 * number in sysfs ({@code /sys/class/block/NAME/dev}). The source's {@code /dev} name is matched
 * too: btrfs reports an anonymous number ({@code 0:NN}) for its mounts, not its device's.
 */
public final class HostUsage {

  static final String CANNOT_CHECK = "refusing to move any device while the host's own use of it cannot be checked";

  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFREG = 0100000;

  private final HostPaths paths;
  private final SysfsReader reader;
  /** Host-wide reasons nothing can be checked: each is a refusal of every device a plan moves. */
  private final List<Problem> problems = new ArrayList<>();
  private final List<Mount> mounts;
  private final List<Swap> swaps;
  private final Set<String> defaultRouteIfaces;
  private final Optional<String> framebufferConsole;
  /** Why the consoles could not be read, when they could not: the boot VGA device is then refused. */
  private final Optional<Unreadable> consoleUnreadable;

  /** One line of the mount table: the filesystem's device number, its source and where it is mounted. */
  record Mount(String device, String source, String mountPoint) {}

  /** One active swap area and the device number of the block device holding it, when known. */
  record Swap(String name, Optional<String> device) {}

  /** Why the host's use of a device cannot be checked, and what fixes that. */
  private record Problem(String reason, String fix) {
    Refusal refusal(PciAddress a) {
      return new Refusal(a, reason, fix);
    }
  }

  /** Signals a file that cannot be read, with the reason in words. */
  private static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Path file;
    final String why;

    Unreadable(Path file, String why) {
      super(file + ": " + why, null, false, false);
      this.file = file;
      this.why = why;
    }
  }

  public HostUsage(HostPaths paths, SysfsReader reader) {
    this.paths = paths;
    this.reader = reader;
    this.mounts = mounts();
    this.swaps = swaps();
    this.defaultRouteIfaces = defaultRoutes();
    Optional<String> console = Optional.empty();
    Optional<Unreadable> consoleProblem = Optional.empty();
    try {
      console = framebufferConsole(paths);
    } catch (Unreadable u) {
      consoleProblem = Optional.of(u);
    }
    this.framebufferConsole = console;
    this.consoleUnreadable = consoleProblem;
  }

  /** The reasons the host needs this device (or cannot tell whether it does), none when it can go. */
  public List<Refusal> check(PciDevice d) {
    List<Refusal> out = new ArrayList<>();
    for (Problem p : problems) {
      out.add(p.refusal(d.address()));
    }
    Below below;
    try {
      below = blockDevicesBelow(d);
    } catch (Unreadable u) {
      below = new Below(Map.of(), Set.of(), Optional.of(u));
    }
    if (below.unreadable().isPresent()) {
      Unreadable u = below.unreadable().get();
      out.add(new Refusal(d.address(),
          "cannot read " + u.file + " (" + u.why + "): refusing to move it while the host's own use of it cannot be checked",
          "check that root can read " + u.file + ", then start the VM again"));
    }
    for (Mount m : mounts) {
      Optional<String> held = below.held(m.device(), m.source(), this);
      if (held.isPresent()) {
        out.add(new Refusal(d.address(),
            "holds " + held.get() + ", mounted on " + m.mountPoint(),
            "unmount " + m.mountPoint() + " and remove it from /etc/fstab, or pass through another device"));
      }
    }
    for (Swap s : swaps) {
      Optional<String> held = below.held(s.device().orElse(""), s.name(), this);
      if (held.isPresent()) {
        out.add(new Refusal(d.address(), "holds " + held.get() + ", in use as swap",
            "run 'swapoff " + s.name() + "' and remove it from /etc/fstab"));
      }
    }
    for (String ifname : ifacesAndUppers(d)) {
      if (defaultRouteIfaces.contains(ifname)) {
        out.add(new Refusal(d.address(),
            "carries " + ifname + ", the interface of the host's default route",
            "move the default route to another interface, or pass through another NIC"));
      }
    }
    boolean bootVga = reader.attribute(d.address(), "boot_vga").orElse("0").equals("1");
    if (bootVga && consoleUnreadable.isPresent()) {
      Unreadable u = consoleUnreadable.get();
      out.add(new Refusal(d.address(),
          "is the boot VGA device, and whether it drives the host console is unknown: cannot read " + u.file + " (" + u.why + ")",
          "check that root can read " + u.file + ", then start the VM again"));
    }
    if (bootVga && framebufferConsole.isPresent()) {
      out.add(new Refusal(d.address(),
          "is the boot VGA device and drives the host console (" + framebufferConsole.get() + ")",
          "boot the host with video=efifb:off (or use another GPU for the console), or write 0 to " + framebufferConsole.get() + "/bind"));
    }
    return out;
  }

  // --- block devices --------------------------------------------------------------------------

  /**
   * The block devices below a PCI function: their numbers ({@code major:minor} to kernel name),
   * the {@code /dev} names they are known by, and the first {@code dev} file that could not be read.
   */
  record Below(Map<String, String> numbers, Set<String> devNames, Optional<Unreadable> unreadable) {

    /**
     * How a mount or swap of {@code source} on device {@code number} is held by these block
     * devices, as the refusal names it ({@code /dev/root (nvme0n1p2)} when the source does not name
     * the device); empty when it is not.
     */
    Optional<String> held(String number, String source, HostUsage usage) {
      boolean byName = usage.matches(source, devNames);
      String kname = numbers.get(number);
      if (kname != null && !byName) {
        return Optional.of(source + " (" + kname + ")");
      }
      return kname != null || byName ? Optional.of(source) : Optional.empty();
    }
  }

  /** Every block device below the device, partitions and holders (dm, md) included, with its number. */
  Below blockDevicesBelow(PciDevice d) throws Unreadable {
    Path dev = realPath(paths.pciDevice(d.address()));
    Path classBlock = paths.blockDevices();
    String[] all = classBlock.toFile().list();
    if (all == null) {
      throw new Unreadable(classBlock, Files.isDirectory(classBlock) ? "cannot be listed" : "no such folder");
    }
    java.util.Arrays.sort(all);
    Map<String, Path> found = new LinkedHashMap<>();
    for (String b : all) {
      try {
        if (classBlock.resolve(b).toRealPath().startsWith(dev)) {
          addWithPartitionsAndHolders(b, classBlock.resolve(b), found);
        }
      } catch (IOException e) {
        // a block device that vanished while we looked: not below anything
      }
    }
    Map<String, String> numbers = new LinkedHashMap<>();
    Set<String> devNames = new LinkedHashSet<>();
    Optional<Unreadable> unreadable = Optional.empty();
    for (var e : found.entrySet()) {
      try {
        // named as /sys/class/block/NAME/dev when that is there (a partition found only in its
        // disk's folder is not)
        Path dir = Files.isDirectory(classBlock.resolve(e.getKey())) ? classBlock.resolve(e.getKey()) : e.getValue();
        numbers.put(deviceNumber(dir.resolve("dev")), e.getKey());
      } catch (Unreadable u) {
        if (unreadable.isEmpty()) {
          unreadable = Optional.of(u);
        }
      }
      devNames.add(HostPaths.devNodeName(e.getKey()));
      Optional<String> dm = SysfsReader.readSmall(e.getValue().resolve("dm/name"));
      if (dm.isPresent()) {
        devNames.add(HostPaths.devNodeName("mapper/" + dm.get()));
      }
    }
    return new Below(numbers, devNames, unreadable);
  }

  /**
   * A disk, its partitions (folders in it with a {@code partition} file) and, recursively, the
   * devices holding them ({@code holders/}: dm, md), by kernel name and sysfs folder.
   */
  private void addWithPartitionsAndHolders(String name, Path dir, Map<String, Path> found) throws Unreadable {
    if (found.putIfAbsent(name, dir) != null) {
      return;
    }
    for (String e : entries(dir)) {
      if (Files.isRegularFile(dir.resolve(e).resolve("partition"))) {
        addWithPartitionsAndHolders(e, dir.resolve(e), found);
      }
    }
    for (String h : entries(dir.resolve("holders"))) {
      addWithPartitionsAndHolders(h, dir.resolve("holders").resolve(h), found);
    }
  }

  /** A block device's {@code dev} file: {@code major:minor}. */
  private static String deviceNumber(Path file) throws Unreadable {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new Unreadable(file, why(e));
    }
    if (!text.matches("\\d+:\\d+")) {
      throw new Unreadable(file, "it holds '" + text + "', not major:minor");
    }
    return text;
  }

  private static Path realPath(Path p) throws Unreadable {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      throw new Unreadable(p, why(e));
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

  // --- the mount table and the swap list ------------------------------------------------------

  /**
   * {@code /proc/self/mountinfo}: {@code ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [TAGS...] -
   * FSTYPE SOURCE SUPEROPTIONS}. An empty or malformed table is as unreadable as a missing one.
   */
  private List<Mount> mounts() {
    Path file = paths.procMountinfo();
    List<Mount> out = new ArrayList<>();
    try {
      List<String> lines = lines(file);
      if (lines.isEmpty()) {
        throw new Unreadable(file, "it is empty; a host always has its root mounted");
      }
      for (int i = 0; i < lines.size(); i++) {
        String[] f = lines.get(i).split(" ");
        int sep = List.of(f).indexOf("-");
        if (f.length < 7 || sep < 6 || f.length < sep + 3 || !f[2].matches("\\d+:\\d+")) {
          throw new Unreadable(file, "line " + (i + 1) + " is not in the kernel's mountinfo format");
        }
        out.add(new Mount(f[2], unescape(f[sep + 2]), unescape(f[4])));
      }
    } catch (Unreadable u) {
      problems.add(procProblem(u));
      return List.of();
    }
    return out;
  }

  /** {@code /proc/swaps}: a header line, then {@code NAME TYPE SIZE USED PRIORITY} per swap area. */
  private List<Swap> swaps() {
    Path file = paths.procSwaps();
    List<Swap> out = new ArrayList<>();
    try {
      List<String> l = lines(file);
      if (l.isEmpty() || !l.get(0).startsWith("Filename")) {
        throw new Unreadable(file, "it does not start with the kernel's 'Filename' header");
      }
      for (int i = 1; i < l.size(); i++) {
        String[] f = l.get(i).trim().split("\\s+");
        if (f.length >= 1 && !f[0].isEmpty()) {
          String name = unescape(f[0]);
          try {
            out.add(new Swap(name, Optional.of(swapDevice(name))));
          } catch (Unreadable u) {
            problems.add(new Problem(
                "cannot tell which block device holds " + name + ", active swap in " + file + " (" + u.file + ": " + u.why + "): "
                    + CANNOT_CHECK,
                "see 'swapon --show'; if " + name + " is stale, run 'swapoff " + name + "', then start the VM again"));
            out.add(new Swap(name, Optional.empty()));
          }
        }
      }
    } catch (Unreadable u) {
      problems.add(procProblem(u));
      return List.of();
    }
    return out;
  }

  /**
   * The device number of the block device holding a swap area. A partition or volume is named by
   * its kernel node ({@code /dev/sda2}, {@code /dev/dm-1}; or {@code /dev/mapper/NAME}): its number
   * is in sysfs. Otherwise the name is looked at: a block device node gives its own number
   * ({@code st_rdev}), a swap file the number of the filesystem holding it ({@code st_dev}), which
   * is the device the file's blocks are on (for btrfs an anonymous number that matches nothing:
   * the filesystem's own mount is what refuses that device).
   */
  private String swapDevice(String name) throws Unreadable {
    String dev = HostPaths.devNodeName("");
    if (name.startsWith(dev)) {
      String rest = name.substring(dev.length());
      if (!rest.contains("/") && Files.isDirectory(paths.blockDevices().resolve(rest))) {
        Path f = paths.blockDevices().resolve(rest).resolve("dev");
        return deviceNumber(f);
      }
      if (rest.startsWith("mapper/")) {
        String dm = rest.substring("mapper/".length());
        for (String b : reader.folderNames(paths.blockDevices())) {
          if (SysfsReader.readSmall(paths.blockDevices().resolve(b).resolve("dm/name")).orElse("").equals(dm)) {
            Path f = paths.blockDevices().resolve(b).resolve("dev");
            return deviceNumber(f);
          }
        }
      }
    }
    Path p = paths.root().resolve(name.startsWith("/") ? name.substring(1) : name);
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev,dev");
      int type = ((Number) a.get("mode")).intValue() & S_IFMT;
      if (type == S_IFBLK) {
        return majorMinor(((Number) a.get("rdev")).longValue());
      }
      if (type == S_IFREG) {
        return majorMinor(((Number) a.get("dev")).longValue());
      }
      throw new Unreadable(p, "neither a block device nor a file");
    } catch (IOException e) {
      throw new Unreadable(p, why(e));
    }
  }

  /** Splits a Linux {@code dev_t} as glibc's {@code major()} and {@code minor()} do. */
  static String majorMinor(long dev) {
    long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    return major + ":" + minor;
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

  /**
   * Interfaces of the IPv4 ({@code 0.0.0.0/0}) and IPv6 ({@code ::/0}) default routes. The IPv4
   * table is empty, without even its header, until the kernel makes its main table. The IPv6
   * table is absent, and there are no IPv6 routes, only when the kernel runs without IPv6 (no
   * {@code /proc/sys/net/ipv6} either).
   */
  private Set<String> defaultRoutes() {
    Set<String> out = new LinkedHashSet<>();
    Path v4file = paths.procNetRoute();
    try {
      List<String> v4 = lines(v4file);
      // empty while the kernel has no IPv4 main table yet (no address ever configured): no routes
      if (!v4.isEmpty() && !v4.get(0).startsWith("Iface")) {
        throw new Unreadable(v4file, "it does not start with the kernel's 'Iface' header");
      }
      for (int i = 1; i < v4.size(); i++) {
        String[] f = v4.get(i).trim().split("\\s+");
        if (f.length >= 8 && f[1].equals("00000000") && f[7].equals("00000000")) {
          out.add(f[0]);
        }
      }
    } catch (Unreadable u) {
      problems.add(procProblem(u));
    }
    Path v6file = paths.procNetIpv6Route();
    if (!Files.exists(v6file) && !Files.exists(paths.procSysNetIpv6())) {
      return out;
    }
    try {
      for (String line : lines(v6file)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 10 && f[0].matches("0{32}") && f[1].equals("00") && !f[9].equals("lo")) {
          out.add(f[9]);
        }
      }
    } catch (Unreadable u) {
      problems.add(procProblem(u));
    }
    return out;
  }

  // --- console --------------------------------------------------------------------------------

  /** The bound framebuffer virtual console ({@code .../vtconsole/vtcon1}), if any. */
  static Optional<String> framebufferConsole(HostPaths paths) throws Unreadable {
    for (String n : entries(paths.vtconsoles())) {
      Path vt = paths.vtconsoles().resolve(n);
      boolean bound = readIfThere(vt.resolve("bind")).orElse("0").equals("1");
      boolean fb = readIfThere(vt.resolve("name")).orElse("").contains("frame buffer");
      if (bound && fb) {
        return Optional.of(vt.toString());
      }
    }
    return Optional.empty();
  }

  // --- reading --------------------------------------------------------------------------------

  /** A folder's entries, sorted; none when it is not there, unreadable when it is but cannot be listed. */
  private static List<String> entries(Path dir) throws Unreadable {
    String[] names = dir.toFile().list();
    if (names == null) {
      if (Files.exists(dir)) {
        throw new Unreadable(dir, "cannot be listed");
      }
      return List.of();
    }
    java.util.Arrays.sort(names);
    return List.of(names);
  }

  /** A small file's text, stripped; empty when it is not there, unreadable when it is but cannot be read. */
  private static Optional<String> readIfThere(Path file) throws Unreadable {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new Unreadable(file, why(e));
    }
  }

  private static List<String> lines(Path p) throws Unreadable {
    try {
      return Files.readAllLines(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Unreadable(p, why(e));
    }
  }

  /** Why a read failed, in words. */
  static String why(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String m = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
    return m == null || m.isBlank() ? "read error" : m.substring(0, 1).toLowerCase(java.util.Locale.ROOT) + m.substring(1);
  }

  /** A /proc table that cannot be read: every device a plan moves is refused. */
  private static Problem procProblem(Unreadable u) {
    return new Problem("cannot read " + u.file + " (" + u.why + "): " + CANNOT_CHECK, procFix(u.file));
  }

  private static String procFix(Path file) {
    return "check that /proc is mounted and root can read " + file + " ('cat " + file + "'), then start the VM again";
  }
}
