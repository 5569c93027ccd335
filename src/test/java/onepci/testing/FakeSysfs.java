package onepci.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;

/**
 * Writes kernel-shaped trees for tests: device folders under {@code sys/devices/pciDDDD:BB/...}
 * (nested under their parent bridge when one is given), links from {@code sys/bus/pci/devices},
 * IOMMU groups, driver links, SR-IOV links and files, network interfaces, NVIDIA vGPU files.
 * Links are relative, as the kernel's are, so a tree can be copied or moved.
 */
public final class FakeSysfs {

  private final Path root;
  /**
   * The minor of the next block device made without a number (major 259, blkext, as NVMe's), from
   * 100 up: tests that give numbers use small minors.
   */
  private int nextMinor = 100;

  private FakeSysfs(Path root) {
    this.root = root;
  }

  /** A new empty host under {@code root}, with an empty {@code sys/bus/pci/devices}. */
  public static FakeSysfs create(Path root) {
    FakeSysfs s = new FakeSysfs(root);
    s.mkdirs(root.resolve("sys/bus/pci/devices"));
    s.mkdirs(root.resolve("sys/bus/pci/drivers"));
    s.mkdirs(root.resolve("sys/kernel/iommu_groups"));
    s.mkdirs(root.resolve("sys/class/block"));
    return s;
  }

  public Path root() {
    return root;
  }

  public HostPaths paths() {
    return new HostPaths(root);
  }

  /** Starts a device at the root complex of its domain and bus. */
  public Device device(String address) {
    PciAddress a = PciAddress.parse(address);
    Path dir = root.resolve("sys/devices").resolve(String.format("pci%s:%s", a.domainHex(), a.busHex())).resolve(a.toString());
    return new Device(a, dir);
  }

  /** Starts a device below a parent (a bridge or root port made earlier). */
  public Device device(String address, Device parent) {
    PciAddress a = PciAddress.parse(address);
    return new Device(a, parent.dir.resolve(a.toString()));
  }

  /** Writes a file under the root, making its folders. */
  public FakeSysfs write(String relative, String content) {
    Path p = root.resolve(relative);
    mkdirs(p.getParent());
    try {
      Files.writeString(p, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** A line of OneDeploy's udev rename rules: {@code # 0000:3b:00.0 <- name}. */
  public FakeSysfs udevRename(String address, String name) {
    Path p = root.resolve("etc/udev/rules.d/99-rename.rules");
    mkdirs(p.getParent());
    try {
      String old = Files.exists(p) ? Files.readString(p) : "";
      Files.writeString(
          p,
          old + "# " + address + " <- " + name + "\n"
              + "SUBSYSTEM==\"net\", ACTION==\"add\", KERNELS==\"" + address + "\", NAME=\"" + name + "\"\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  public FakeSysfs netNameCache(String address, String name) {
    return write("var/tmp/one_db/pci_net_names/" + address, name + "\n");
  }

  public FakeSysfs iommuGroupsEmpty() {
    mkdirs(root.resolve("sys/kernel/iommu_groups"));
    return this;
  }

  /** Writes {@code proc/bus/pci/devices} for the functions the tree has now: see {@link #writeProcBusPciDevices(Path)}. */
  public FakeSysfs procBusPciDevices() {
    writeProcBusPciDevices(root);
    return this;
  }

  /**
   * Writes {@code proc/bus/pci/devices} under {@code root} as the kernel prints it for the
   * functions in {@code sys/bus/pci/devices}: {@code BBDF\tVVVVDDDD\tIRQ}, 7 BAR starts and 7
   * sizes ({@code \t%16llx} each), then a tab and the driver name; no domain. Ids come from the
   * {@code vendor} and {@code device} files, the driver from the {@code driver} link.
   */
  public static void writeProcBusPciDevices(Path root) {
    StringBuilder out = new StringBuilder();
    try (var list = Files.list(root.resolve("sys/bus/pci/devices"))) {
      for (Path dev : list.sorted().toList()) {
        PciAddress a = PciAddress.parseOrNull(dev.getFileName().toString());
        if (a == null) {
          continue;
        }
        int vendor = Integer.decode(Files.readString(dev.resolve("vendor")).strip());
        int device = Integer.decode(Files.readString(dev.resolve("device")).strip());
        out.append(String.format("%02x%02x\t%04x%04x\t%x", a.bus(), a.slot() << 3 | a.function(), vendor, device, 0));
        for (int i = 0; i < 14; i++) {
          out.append(String.format("\t%16x", i == 0 ? 0xc0000000L : 0));
        }
        out.append('\t');
        if (Files.isSymbolicLink(dev.resolve("driver"))) {
          out.append(Files.readSymbolicLink(dev.resolve("driver")).getFileName());
        }
        out.append('\n');
      }
      Path file = root.resolve("proc/bus/pci/devices");
      Files.createDirectories(file.getParent());
      Files.writeString(file, out, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void mkdirs(Path p) {
    try {
      Files.createDirectories(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void link(Path link, Path target) {
    try {
      mkdirs(link.getParent());
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, link.getParent().relativize(target));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One PCI function being written. Every setter writes at once. */
  public final class Device {
    private final PciAddress address;
    private final Path dir;

    private Device(PciAddress address, Path dir) {
      this.address = address;
      this.dir = dir;
      mkdirs(dir);
      FakeSysfs.this.link(root.resolve("sys/bus/pci/devices").resolve(address.toString()), dir);
      // what every kernel PCI function has
      file("vendor", "0xffff");
      file("device", "0xffff");
      file("class", "0x000000");
      file("numa_node", "-1");
      file("driver_override", "(null)");
      config(0xffff, 0xffff, 0x000000);
    }

    public PciAddress address() {
      return address;
    }

    public Path dir() {
      return dir;
    }

    /** Vendor, device and the 24-bit class, as {@code 0x10de}, {@code 0x2330}, {@code 0x030200}. */
    public Device id(int vendor, int device, int classCode) {
      file("vendor", String.format("0x%04x", vendor));
      file("device", String.format("0x%04x", device));
      file("class", String.format("0x%06x", classCode));
      config(vendor, device, classCode);
      return this;
    }

    /**
     * The first 64 bytes of configuration space, as lspci reads them through sysfs. The header type
     * (byte 0x0e) is the one the class implies: 1 for PCI-to-PCI bridges and PCIe ports
     * ({@code 0604}, {@code 0609}), 2 for CardBus bridges ({@code 0607}), 0 for everything else,
     * host bridges ({@code 0600}) and NVSwitches ({@code 0680}) included.
     */
    private void config(int vendor, int device, int classCode) {
      byte[] c = new byte[64];
      c[0] = (byte) vendor;
      c[1] = (byte) (vendor >>> 8);
      c[2] = (byte) device;
      c[3] = (byte) (device >>> 8);
      c[9] = (byte) classCode;
      c[10] = (byte) (classCode >>> 8);
      c[11] = (byte) (classCode >>> 16);
      int sub = classCode >>> 8;
      c[14] = (byte) (sub == 0x0604 || sub == 0x0609 ? 0x01 : sub == 0x0607 ? 0x02 : 0x00);
      try {
        Files.write(dir.resolve("config"), c);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Byte 0x0e of {@code config}, the header type (bit 7: multifunction), whatever the class says. */
    public Device headerType(int value) {
      try {
        byte[] c = Files.readAllBytes(dir.resolve("config"));
        c[14] = (byte) value;
        Files.write(dir.resolve("config"), c);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    public Device subsystem(int vendor, int device) {
      file("subsystem_vendor", String.format("0x%04x", vendor));
      file("subsystem_device", String.format("0x%04x", device));
      return this;
    }

    public Device revision(int revision) {
      return file("revision", String.format("0x%02x", revision));
    }

    public Device numa(int node) {
      return file("numa_node", Integer.toString(node));
    }

    public Device localCpus(String list) {
      return file("local_cpulist", list);
    }

    public Device pcieLink(String speed, int width) {
      file("max_link_speed", speed);
      return file("max_link_width", Integer.toString(width));
    }

    /** Puts the device in IOMMU group {@code n}, making the group folder if needed. */
    public Device iommuGroup(int n) {
      Path group = root.resolve("sys/kernel/iommu_groups").resolve(Integer.toString(n));
      FakeSysfs.this.link(group.resolve("devices").resolve(address.toString()), dir);
      FakeSysfs.this.link(dir.resolve("iommu_group"), group);
      return this;
    }

    /** Binds the device to a driver: the driver's folder gets a link, the device a driver link. */
    public Device driver(String name) {
      Path drv = root.resolve("sys/bus/pci/drivers").resolve(name);
      mkdirs(drv);
      FakeSysfs.this.link(drv.resolve(address.toString()), dir);
      FakeSysfs.this.link(dir.resolve("driver"), drv);
      return this;
    }

    public Device driverOverride(String name) {
      return file("driver_override", name);
    }

    /** An SR-IOV physical function with {@code enabled} of {@code total} VFs. */
    public Device sriovPf(int total, int enabled) {
      file("sriov_totalvfs", Integer.toString(total));
      return file("sriov_numvfs", Integer.toString(enabled));
    }

    /** Makes {@code vf} the n-th virtual function of this device ({@code virtfnN} and {@code physfn}). */
    public Device virtfn(int n, Device vf) {
      FakeSysfs.this.link(dir.resolve("virtfn" + n), vf.dir);
      FakeSysfs.this.link(vf.dir.resolve("physfn"), dir);
      return this;
    }

    /** A network interface in {@code net/}, with a switchdev port name when not null. */
    public Device net(String ifname, String physPortName) {
      Path n = dir.resolve("net").resolve(ifname);
      mkdirs(n);
      if (physPortName != null) {
        writeFile(n.resolve("phys_port_name"), physPortName);
      }
      return this;
    }

    /** A legacy mdev type folder under {@code mdev_supported_types/}. */
    public Device mdevType(String name) {
      mkdirs(dir.resolve("mdev_supported_types").resolve(name));
      return this;
    }

    /** Registers the device under {@code /sys/class/mdev_bus} (legacy mdev mode). */
    public Device mdevBus() {
      FakeSysfs.this.link(root.resolve("sys/class/mdev_bus").resolve(address.toString()), dir);
      return this;
    }

    /** Any file below the device folder. */
    public Device file(String relative, String content) {
      writeFile(dir.resolve(relative), content + (content.endsWith("\n") || content.isEmpty() ? "" : "\n"));
      return this;
    }

    private void writeFile(Path p, String content) {
      mkdirs(p.getParent());
      try {
        Files.writeString(p, content, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * A block device below this device ({@code relative} is its folder under the device folder,
     * such as {@code nvme/nvme0/nvme0n1/nvme0n1p1}), linked from {@code sys/class/block}.
     */
    public Device block(String relative) {
      return block(relative, "259:" + nextMinor++);
    }

    /**
     * {@link #block(String)} with its device number ({@code dev}, {@code major:minor}); a folder
     * below a disk's folder is a partition of it (it gets a {@code partition} file).
     */
    public Device block(String relative, String majorMinor) {
      Path b = dir.resolve(relative);
      mkdirs(b);
      writeFile(b.resolve("dev"), majorMinor + "\n");
      if (Files.isRegularFile(b.getParent().resolve("dev"))) {
        writeFile(b.resolve("partition"), b.getFileName().toString().replaceAll("^.*?(\\d+)$", "$1") + "\n");
      }
      FakeSysfs.this.link(root.resolve("sys/class/block").resolve(b.getFileName().toString()), b);
      return this;
    }
  }

  /** Writes a file under the root with the given permissions, such as {@code rwxr-xr-x}. */
  public FakeSysfs file(String relative, String content, String permissions) {
    write(relative, content);
    return mode(relative, permissions);
  }

  /** Sets the permissions of a file or folder under the root, such as {@code rw-rw-rw-}. */
  public FakeSysfs mode(String relative, String permissions) {
    try {
      Files.setPosixFilePermissions(root.resolve(relative), java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Deletes a file, or a folder and everything in it, under the root; nothing when it is not there. */
  public FakeSysfs delete(String relative) {
    Path p = root.resolve(relative);
    try (java.util.stream.Stream<Path> walk = Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Files.walk(p) : java.util.stream.Stream.empty()) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }
}
