package onepci.sysfs;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import onepci.io.IoFailure;

/**
 * Reads PCI functions from sysfs under a {@link HostPaths} root.
 *
 * <p>Reads are few per device: one listing of the device folder answers every "does it have X"
 * question, {@code uevent} (when the kernel wrote one) gives the ids and driver in one read, and
 * everything else is read only when asked for. A {@link DeviceFolder} carries the listing and the
 * uevent from the filter's question ({@link #identity}) to the full {@link #read}, so a selected
 * device costs no second listing.
 */
public final class SysfsReader {

  /** Byte of configuration space that holds the header type (low 7 bits; bit 7: multifunction). */
  private static final int HEADER_TYPE_OFFSET = 0x0e;

  private final HostPaths paths;
  private final boolean readsHeaderType;

  /** A reader whose {@link #read} includes the header type from {@code config}. */
  public SysfsReader(HostPaths paths) {
    this(paths, true);
  }

  private SysfsReader(HostPaths paths, boolean readsHeaderType) {
    this.paths = paths;
    this.readsHeaderType = readsHeaderType;
  }

  /**
   * A reader whose {@link #read} leaves {@link PciDevice#headerType()} absent, for the monitoring
   * probe: it runs every cycle and never asks what a bridge is, and reading {@code config} wakes a
   * device from D3cold. {@link PciDevice#revision()} is absent too: the probe does not print it,
   * and at a thousand functions each file read is milliseconds.
   */
  public static SysfsReader sparingConfig(HostPaths paths) {
    return new SysfsReader(paths, false);
  }

  public HostPaths paths() {
    return paths;
  }

  /**
   * Every function under {@code /sys/bus/pci/devices}, sorted by address.
   *
   * @throws IOException when the folder cannot be listed: the caller must not report "no devices"
   */
  public List<PciAddress> list() throws IOException {
    Path dir = paths.pciDevices();
    String[] names = dir.toFile().list();
    if (names == null) {
      if (!Files.isDirectory(dir)) {
        throw new NoSuchFileException(dir.toString(), null, "no such directory (is sysfs mounted?)");
      }
      throw new IOException(dir + ": cannot be listed (permission denied?)");
    }
    List<PciAddress> out = new ArrayList<>(names.length);
    for (String name : names) {
      PciAddress a = PciAddress.parseOrNull(name);
      if (a != null) {
        out.add(a);
      }
    }
    out.sort(null);
    return out;
  }

  /** The entries of a device's folder: one listing that answers every existence question. */
  public Set<String> entries(PciAddress address) throws DeviceReadException {
    return listing(address, paths.pciDevice(address).toString());
  }

  private static Set<String> listing(PciAddress address, String dir) throws DeviceReadException {
    String[] names = new File(dir).list();
    if (names == null) {
      throw new DeviceReadException(address, "device folder vanished or cannot be listed", null);
    }
    return new HashSet<>(Arrays.asList(names));
  }

  /**
   * A device's folder, listed, with its {@code uevent} read (or, on trees without one, its
   * {@code config} header): what {@link #identity(DeviceFolder)} and {@link #read(DeviceFolder)} use.
   */
  public DeviceFolder folder(PciAddress address) throws DeviceReadException {
    String dir = paths.pciDevice(address).toString() + '/';
    Set<String> entries = listing(address, dir);
    Uevent u = Uevent.EMPTY;
    if (entries.contains("uevent")) {
      String text = text(dir + "uevent");
      u = text == null ? Uevent.EMPTY : Uevent.parse(text);
    }
    boolean ueventHasIds = u.vendor >= 0 && u.device >= 0 && u.classCode >= 0;
    boolean hasIdFiles = entries.contains("vendor") && entries.contains("device") && entries.contains("class");
    Header h = ueventHasIds || !hasIdFiles || !entries.contains("config") ? Header.EMPTY : Header.read(dir + "config");
    return new DeviceFolder(address, dir, entries, u, h);
  }

  /** Vendor, device and class: what a filter needs, and nothing else. */
  public PciId identity(PciAddress address) throws DeviceReadException {
    return identity(folder(address));
  }

  /**
   * From {@code uevent} when it has all three; else from the {@code config} header when it is
   * readable (the same values, one read); else from the {@code vendor}, {@code device},
   * {@code class} files.
   */
  public PciId identity(DeviceFolder f) throws DeviceReadException {
    Uevent u = f.uevent;
    if (u.vendor >= 0 && u.device >= 0 && u.classCode >= 0) {
      return new PciId(u.vendor, u.device, u.classCode);
    }
    if (f.header.valid()) {
      return new PciId(f.header.vendor, f.header.device, f.header.classCode);
    }
    PciAddress address = f.address;
    return new PciId(
        requiredHex(address, "vendor"), requiredHex(address, "device"), requiredHex(address, "class"));
  }

  /**
   * The 24-bit class code from the device's {@code class} file alone (one read, no folder
   * listing); empty when missing or not a hex number.
   */
  public OptionalInt classCode(PciAddress address) {
    String text = text(paths.pciDevice(address).toString() + "/class");
    if (text == null) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(parseHex(text));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** Everything this project knows how to say about one function. */
  public PciDevice read(PciAddress address) throws DeviceReadException {
    return read(folder(address));
  }

  /** {@link #read(PciAddress)} from a folder already listed. */
  public PciDevice read(DeviceFolder f) throws DeviceReadException {
    PciAddress address = f.address;
    Set<String> entries = f.entries;
    Uevent u = f.uevent;
    PciId id = identity(f);

    OptionalInt subVendor = u.subVendor >= 0 ? OptionalInt.of(u.subVendor) : optionalHex(f, "subsystem_vendor");
    OptionalInt subDevice = u.subDevice >= 0 ? OptionalInt.of(u.subDevice) : optionalHex(f, "subsystem_device");
    // the probe's reader leaves out what it never prints: one open less per function
    OptionalInt revision = readsHeaderType ? optionalHex(f, "revision") : OptionalInt.empty();

    OptionalInt numa = OptionalInt.empty();
    Optional<String> numaText = optionalText(f, "numa_node");
    if (numaText.isPresent()) {
      try {
        int n = Integer.parseInt(numaText.get());
        numa = n >= 0 ? OptionalInt.of(n) : OptionalInt.empty();
      } catch (NumberFormatException e) {
        numa = OptionalInt.empty();
      }
    }

    Optional<String> driver =
        u.driver != null
            ? Optional.of(u.driver)
            : entries.contains("driver") ? linkName(f, "driver") : Optional.empty();

    // no lambdas on the probe's path: each bootstraps invokedynamic, milliseconds at start-up
    Optional<String> override = optionalText(f, "driver_override");
    if (override.isPresent() && (override.get().isEmpty() || override.get().equals("(null)"))) {
      override = Optional.empty();
    }

    SriovRole role;
    if (entries.contains("physfn")) {
      Optional<String> pf = linkName(f, "physfn");
      role = new SriovRole.VirtualFunction(
          pf.isPresent() ? Optional.ofNullable(PciAddress.parseOrNull(pf.get())) : Optional.empty());
    } else if (entries.contains("sriov_numvfs") || entries.contains("sriov_totalvfs")) {
      role =
          new SriovRole.PhysicalFunction(
              intOrZero(optionalText(f, "sriov_numvfs")),
              intOrZero(optionalText(f, "sriov_totalvfs")));
    } else {
      role = SriovRole.NONE;
    }

    return new PciDevice(
        address,
        id.vendor(),
        id.device(),
        id.classCode(),
        subVendor,
        subDevice,
        revision,
        numa,
        entries.contains("iommu_group") ? iommuGroup(f) : OptionalInt.empty(),
        driver,
        override,
        role,
        entries.contains("virtfn0"),
        entries.contains("net") ? netInterfaces(address) : List.of(),
        optionalText(f, "local_cpulist"),
        optionalText(f, "max_link_speed"),
        optionalText(f, "max_link_width"),
        readsHeaderType && entries.contains("config") ? headerType(address) : OptionalInt.empty());
  }

  /**
   * The header type (0 endpoint, 1 bridge or port, 2 CardBus bridge) from byte {@code 0x0e} of the
   * device's {@code config}: how the kernel and libvirt tell a bridge. Empty when {@code config}
   * cannot be read or holds no known type (all ones: the device is powered off or gone).
   */
  public OptionalInt headerType(PciAddress address) {
    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(paths.pciDevice(address).resolve("config"))) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      if (c.read(b, HEADER_TYPE_OFFSET) != 1) {
        return OptionalInt.empty();
      }
      int type = b.get(0) & 0x7f;
      return type <= PciDevice.HEADER_CARDBUS ? OptionalInt.of(type) : OptionalInt.empty();
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  /** The number of the device's IOMMU group, from its {@code iommu_group} link. */
  public OptionalInt iommuGroup(PciAddress address) {
    return groupNumber(linkName(address, "iommu_group"));
  }

  private OptionalInt iommuGroup(DeviceFolder f) {
    return groupNumber(linkName(f, "iommu_group"));
  }

  private static OptionalInt groupNumber(Optional<String> name) {
    if (name.isEmpty()) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(Integer.parseInt(name.get()));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** The members of an IOMMU group, sorted, from {@code /sys/kernel/iommu_groups/N/devices}. */
  public List<PciAddress> iommuGroupMembers(int group) throws IOException {
    Path dir = paths.iommuGroupDevices(group);
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new NoSuchFileException(dir.toString(), null, "IOMMU group folder cannot be listed");
    }
    List<PciAddress> out = new ArrayList<>();
    for (String n : names) {
      PciAddress a = PciAddress.parseOrNull(n);
      if (a != null) {
        out.add(a);
      }
    }
    out.sort(null);
    return out;
  }

  /** The network interfaces in the device's {@code net/} folder, sorted by name. */
  public List<NetInterface> netInterfaces(PciAddress address) {
    Path net = paths.pciDevice(address).resolve("net");
    String[] names = net.toFile().list();
    if (names == null || names.length == 0) {
      return List.of();
    }
    Arrays.sort(names);
    List<NetInterface> out = new ArrayList<>(names.length);
    for (String n : names) {
      Optional<String> port =
          names.length > 1 ? readSmall(net.resolve(n).resolve("phys_port_name")) : Optional.empty();
      out.add(new NetInterface(n, port));
    }
    return out;
  }

  /** A text attribute of the device, stripped; empty when missing or unreadable. */
  public Optional<String> attribute(PciAddress address, String relative) {
    return readSmall(paths.pciDevice(address).resolve(relative));
  }

  /** The names in a folder under the device, sorted; empty when there is no such folder. */
  public List<String> folderNames(Path dir) {
    String[] names = dir.toFile().list();
    if (names == null) {
      return List.of();
    }
    Arrays.sort(names);
    return List.of(names);
  }

  /** The last path component of a link under the device folder (a driver or group name). */
  public Optional<String> linkName(PciAddress address, String link) {
    return linkTargetName(paths.pciDevice(address).resolve(link));
  }

  private static Optional<String> linkName(DeviceFolder f, String link) {
    return linkTargetName(Path.of(f.dir + link));
  }

  private static Optional<String> linkTargetName(Path link) {
    try {
      Path target = Files.readSymbolicLink(link);
      Path name = target.getFileName();
      return name == null ? Optional.empty() : Optional.of(name.toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  // --- small-file helpers -------------------------------------------------------------------

  /**
   * A sysfs attribute (or any small file), stripped; null when it is missing or cannot be read. One open and one read
   * into a buffer of a page: sysfs hands over a whole attribute (at most a page) in the first
   * read, as a local file system does a small file, so a short read is the end. Only a full
   * buffer is followed by more reads.
   */
  private static String text(String file) {
    try (FileInputStream in = new FileInputStream(file)) {
      byte[] buf = new byte[4096];
      int n = Math.max(0, in.read(buf, 0, buf.length));
      if (n == buf.length) {
        byte[] rest = in.readAllBytes();
        byte[] all = Arrays.copyOf(buf, n + rest.length);
        System.arraycopy(rest, 0, all, n, rest.length);
        return new String(all, StandardCharsets.UTF_8).strip();
      }
      return new String(buf, 0, n, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return null;
    }
  }

  private static Optional<String> optionalText(DeviceFolder f, String name) {
    return f.entries.contains(name) ? Optional.ofNullable(text(f.dir + name)) : Optional.empty();
  }

  private static OptionalInt optionalHex(DeviceFolder f, String name) {
    Optional<String> text = optionalText(f, name);
    if (text.isEmpty()) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(parseHex(text.get()));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** Reads a small text file, stripped; empty when it is missing or cannot be read. */
  public static Optional<String> readSmall(Path file) {
    return Optional.ofNullable(text(file.toString()));
  }

  private int requiredHex(PciAddress address, String name) throws DeviceReadException {
    Path file = paths.pciDevice(address).resolve(name);
    String text;
    try {
      text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      throw new DeviceReadException(address, name + " is missing (the device vanished mid-scan?)", e);
    } catch (IOException e) {
      throw new DeviceReadException(address, name + " cannot be read: " + IoFailure.reason(e), e);
    }
    try {
      return parseHex(text);
    } catch (NumberFormatException e) {
      throw new DeviceReadException(address, name + " holds '" + text + "', not a hex number", e);
    }
  }

  static int parseHex(String text) {
    String s = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
    if (s.isEmpty() || s.length() > 8) {
      throw new NumberFormatException(text);
    }
    return (int) Long.parseLong(s, 16);
  }

  private static int intOrZero(Optional<String> text) {
    if (text.isEmpty() || text.get().isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(text.get());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A device folder as listed once: see {@link #folder}. */
  public static final class DeviceFolder {
    private final PciAddress address;
    private final String dir;
    private final Set<String> entries;
    private final Uevent uevent;
    private final Header header;

    private DeviceFolder(PciAddress address, String dir, Set<String> entries, Uevent uevent, Header header) {
      this.address = address;
      this.dir = dir;
      this.entries = entries;
      this.uevent = uevent;
      this.header = header;
    }

    public PciAddress address() {
      return address;
    }

    /** The names in the folder. */
    public Set<String> entries() {
      return Collections.unmodifiableSet(entries);
    }
  }

  /**
   * The first bytes of a function's configuration space, read only on trees without
   * {@code uevent} (real kernels always write one, and reading {@code config} can wake a device
   * from runtime suspend) and only when the {@code vendor}, {@code device} and {@code class}
   * files are there too: the same three values in one read. A device with a file missing is
   * read file by file, so that it is reported as the files say.
   */
  private record Header(int vendor, int device, int classCode) {
    static final Header EMPTY = new Header(-1, -1, -1);

    static Header read(String file) {
      byte[] c = new byte[12];
      int n = 0;
      try (FileInputStream in = new FileInputStream(file)) {
        for (int r; n < c.length && (r = in.read(c, n, c.length - n)) > 0; ) {
          n += r;
        }
      } catch (IOException e) {
        return EMPTY;
      }
      if (n < 12) {
        return EMPTY;
      }
      int vendor = u16(c, 0);
      if (vendor == 0xffff || vendor == 0) {
        return EMPTY; // a device powered off or gone answers all ones: the files know better
      }
      return new Header(vendor, u16(c, 2), (c[11] & 0xff) << 16 | (c[10] & 0xff) << 8 | (c[9] & 0xff));
    }

    boolean valid() {
      return vendor >= 0;
    }

    private static int u16(byte[] b, int at) {
      return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }
  }

  /** The parts of a PCI {@code uevent} this reader uses; -1 or null for what it lacks. */
  private record Uevent(int vendor, int device, int classCode, int subVendor, int subDevice, String driver) {
    static final Uevent EMPTY = new Uevent(-1, -1, -1, -1, -1, null);

    static Uevent parse(String text) {
      int vendor = -1, device = -1, cls = -1, sv = -1, sd = -1;
      String driver = null;
      for (String line : text.split("\n")) {
        int eq = line.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = line.substring(0, eq);
        String value = line.substring(eq + 1).strip();
        try {
          switch (key) {
            case "DRIVER" -> driver = value;
            case "PCI_CLASS" -> cls = Integer.parseInt(value, 16);
            case "PCI_ID" -> {
              int c = value.indexOf(':');
              vendor = Integer.parseInt(value.substring(0, c), 16);
              device = Integer.parseInt(value.substring(c + 1), 16);
            }
            case "PCI_SUBSYS_ID" -> {
              int c = value.indexOf(':');
              sv = Integer.parseInt(value.substring(0, c), 16);
              sd = Integer.parseInt(value.substring(c + 1), 16);
            }
            default -> {}
          }
        } catch (RuntimeException e) {
          return EMPTY;
        }
      }
      return new Uevent(vendor, device, cls, sv, sd, driver);
    }
  }
}
