package onepci.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onepci.testing.FakeSysfs;

/**
 * Writes the benchmark's kernel-shaped hosts: {@code BenchHost OUT_DIR NAME...} makes
 * {@code OUT_DIR/NAME/} for each name (see {@link #SHAPES}), skipping one already complete.
 *
 * <p>Every function gets what a kernel shows for it ({@code uevent}, {@code config}, ids, NUMA
 * node, local CPUs, IOMMU group, driver link, PCIe link, power and reset files), and the host its
 * {@code /proc/bus/pci/devices}, so the probe and lspci read as much as on a real host. The sizes are exact: chipset functions (a Xeon shows
 * dozens per socket) pad each host to its count.
 */
public final class BenchHost {

  /** Bumped when the trees change, so old ones are rewritten. */
  static final String VERSION = "6";

  /**
   * A host's make-up.
   *
   * @param gpusBehindSwitches H100s, each behind root port, switch upstream and downstream port
   * @param gpusOnRootPorts GPUs straight on a root port
   * @param nvswitches NVSwitches
   * @param nicPfsWithVfs SR-IOV NIC PFs with {@code vfsPerPf} VFs enabled
   * @param nicPfsPlain SR-IOV capable NIC PFs with SR-IOV off
   * @param vgpuParents A100s split into {@code vgpusPerParent} NVIDIA vGPU VFs
   * @param nvme NVMe drives
   * @param intelNics whether the NICs are Intel X710 (else Mellanox ConnectX-7)
   */
  record Shape(
      String name,
      int functions,
      int gpusBehindSwitches,
      int gpusOnRootPorts,
      int nvswitches,
      int nicPfsWithVfs,
      int vfsPerPf,
      int nicPfsPlain,
      int vgpuParents,
      int vgpusPerParent,
      int nvme,
      boolean intelNics) {}

  static final List<Shape> SHAPES =
      List.of(
          new Shape("host-10", 10, 0, 2, 0, 0, 0, 1, 0, 0, 1, false),
          new Shape("host-100", 100, 8, 0, 4, 2, 8, 2, 1, 8, 4, false),
          new Shape("host-1000", 1000, 8, 0, 4, 8, 96, 4, 4, 20, 8, false),
          new Shape("host-4000", 4000, 8, 0, 4, 16, 224, 4, 8, 20, 16, false),
          // held out for the comparison with the stock probe: other vendors, other layout
          new Shape("held-7", 7, 0, 1, 0, 0, 0, 1, 0, 0, 1, true),
          new Shape("held-48", 48, 4, 0, 0, 1, 16, 1, 0, 0, 2, true),
          new Shape("held-1000", 1000, 4, 4, 2, 12, 60, 2, 2, 16, 6, true));

  private final FakeSysfs sys;
  private final Set<String> made = new HashSet<>();
  private int nextBus = 0x01;
  private int nextGroup = 1;

  private BenchHost(FakeSysfs sys) {
    this.sys = sys;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: BenchHost OUT_DIR NAME...   (names: " + SHAPES.stream().map(Shape::name).toList() + ")");
      System.exit(64);
    }
    Path out = Path.of(args[0]);
    for (int i = 1; i < args.length; i++) {
      String name = args[i];
      Shape shape = SHAPES.stream().filter(s -> s.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no host shape named " + name));
      Path dir = out.resolve(name);
      Path stamp = dir.resolve(".complete");
      if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(VERSION)) {
        continue;
      }
      deleteTree(dir);
      write(dir, name);
      Files.writeString(stamp, VERSION);
      System.err.println("bench: wrote " + dir + " (" + shape.functions() + " PCI functions)");
    }
  }

  /**
   * Writes the host named {@code name} (one of {@link #SHAPES}) into the empty folder {@code dir},
   * with the kernel's {@code proc/bus/pci/devices} beside its {@code sys}.
   */
  public static FakeSysfs write(Path dir, String name) {
    Shape shape = SHAPES.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no host shape named " + name));
    FakeSysfs sys = FakeSysfs.create(dir);
    int n = write(sys, shape);
    if (n != shape.functions()) {
      throw new IllegalStateException(name + ": wrote " + n + " functions, not " + shape.functions());
    }
    sys.procBusPciDevices();
    return sys;
  }

  /** Writes the host; returns the number of functions written. */
  static int write(FakeSysfs sys, Shape s) {
    BenchHost h = new BenchHost(sys);
    // host bridges, one per socket
    h.fn(sys.device("0000:00:00.0"), 0x8086, 0x09a2, 0x060000, 0, null);
    h.fn(sys.device("0000:00:01.0"), 0x8086, 0x09a2, 0x060000, 1, null);
    for (int i = 0; i < s.gpusBehindSwitches(); i++) {
      int node = i * 2 / Math.max(1, s.gpusBehindSwitches());
      FakeSysfs.Device port = h.rootPort(node);
      FakeSysfs.Device up = h.fn(sys.device(h.bus(0), port), 0x1000, 0xc030, 0x060400, node, "pcieport");
      FakeSysfs.Device down = h.fn(sys.device(h.bus(0), up), 0x1000, 0xc030, 0x060400, node, "pcieport");
      h.fn(sys.device(h.bus(0), down), 0x10de, 0x2330, 0x030200, node, "vfio-pci", 0x10de, 0x16c1);
    }
    for (int i = 0; i < s.gpusOnRootPorts(); i++) {
      int node = i % 2;
      h.fn(sys.device(h.bus(0), h.rootPort(node)), 0x10de, 0x2331, 0x030200, node, "nvidia", 0x10de, 0x1626);
    }
    for (int i = 0; i < s.nvswitches(); i++) {
      h.fn(sys.device(h.bus(0)), 0x10de, 0x22a3, 0x068000, 0, "nvidia-nvswitch");
    }
    int pfDevice = s.intelNics() ? 0x1572 : 0x1021;
    int vfDevice = s.intelNics() ? 0x154c : 0x101e;
    String nicDriver = s.intelNics() ? "i40e" : "mlx5_core";
    for (int i = 0; i < s.nicPfsWithVfs(); i++) {
      int node = i % 2;
      int bus = h.nextBus;
      String pfAddress = h.bus(0);
      h.nextBus += 1 + (s.vfsPerPf() + 2) / 256;
      FakeSysfs.Device pf = h.fn(sys.device(pfAddress), s.intelNics() ? 0x8086 : 0x15b3, pfDevice, 0x020000, node, nicDriver)
          .sriovPf(Math.max(s.vfsPerPf(), 64), s.vfsPerPf())
          .net("ens" + (bus & 0xff) + "f0np0", s.intelNics() ? null : "p0");
      for (int v = 0; v < s.vfsPerPf(); v++) {
        int devfn = 2 + v;
        String vfAddress = String.format("0000:%02x:%02x.%d", bus + devfn / 256, (devfn % 256) / 8, devfn % 8);
        FakeSysfs.Device vf = h.fn(sys.device(vfAddress), s.intelNics() ? 0x8086 : 0x15b3, vfDevice, 0x020000, node, "vfio-pci");
        pf.virtfn(v, vf);
      }
    }
    for (int i = 0; i < s.nicPfsPlain(); i++) {
      int node = i % 2;
      h.fn(sys.device(h.bus(0)), s.intelNics() ? 0x8086 : 0x15b3, pfDevice, 0x020000, node, nicDriver)
          .sriovPf(64, 0).net("enp" + (h.nextBus - 1) + "s0f0", null);
    }
    for (int i = 0; i < s.vgpuParents(); i++) {
      int node = i % 2;
      int bus = h.nextBus;
      FakeSysfs.Device parent = h.fn(sys.device(h.bus(0)), 0x10de, 0x20b5, 0x030200, node, "nvidia", 0x10de, 0x1533).sriovPf(20, s.vgpusPerParent());
      for (int v = 0; v < s.vgpusPerParent(); v++) {
        int devfn = 4 + v;
        String vfAddress = String.format("0000:%02x:%02x.%d", bus, devfn / 8, devfn % 8);
        FakeSysfs.Device vf = h.fn(sys.device(vfAddress), 0x10de, 0x20b5, 0x030200, node, "nvidia", 0x10de, 0x1533)
            .file("nvidia/creatable_vgpu_types", "ID    : vGPU Name\n590   : NVIDIA A100D-1-10C\n591   : NVIDIA A100D-2-20C\n592   : NVIDIA A100D-3-40C\n");
        parent.virtfn(v, vf);
      }
    }
    for (int i = 0; i < s.nvme(); i++) {
      h.fn(sys.device(h.bus(0), h.rootPort(i % 2)), 0x144d, 0xa80a, 0x010802, i % 2, "nvme", 0x144d, 0xa801);
    }
    // uncore functions (bus ff, then down) fill the host to its size
    int filler = s.functions() - h.made.size();
    for (int k = 0; k < filler; k++) {
      int node = k % 2;
      String a = String.format("0000:%02x:%02x.%d", 0xff - k / 256, (k % 256) / 8, k % 8);
      h.fn(sys.device(a), 0x8086, 0x3450 + k % 16, k % 3 == 0 ? 0x088000 : 0x110100, node, k % 5 == 0 ? null : "skx_uncore");
    }
    return h.made.size();
  }

  /** The next free bus: function 0 of slot 0 on it, in domain 0. */
  private String bus(int function) {
    if (nextBus > 0xff) {
      throw new IllegalStateException("out of buses in domain 0000");
    }
    return String.format("0000:%02x:00.%d", nextBus++, function);
  }

  private FakeSysfs.Device rootPort(int node) {
    return fn(sys.device(bus(0)), 0x8086, 0x352a, 0x060400, node, "pcieport");
  }

  /** One function with the files and links a kernel shows for it. */
  private FakeSysfs.Device fn(FakeSysfs.Device d, int vendor, int device, int cls, int node, String driver) {
    return fn(d, vendor, device, cls, node, driver, vendor, 0);
  }

  private FakeSysfs.Device fn(
      FakeSysfs.Device d, int vendor, int device, int cls, int node, String driver, int subVendor, int subDevice) {
    String a = d.address().toString();
    if (!made.add(a)) {
      throw new IllegalStateException(a + " written twice");
    }
    String cpus = node == 0 ? "0-27,56-83" : "28-55,84-111";
    d.id(vendor, device, cls).numa(node).localCpus(cpus).revision(0xa1).iommuGroup(nextGroup++);
    if (driver != null) {
      d.driver(driver);
    }
    StringBuilder uevent = new StringBuilder();
    if (driver != null) {
      uevent.append("DRIVER=").append(driver).append('\n');
    }
    uevent.append(String.format("PCI_CLASS=%X%n", cls));
    uevent.append(String.format("PCI_ID=%04X:%04X%n", vendor, device));
    uevent.append(String.format("PCI_SUBSYS_ID=%04X:%04X%n", subVendor, subDevice));
    uevent.append("PCI_SLOT_NAME=").append(a).append('\n');
    uevent.append(String.format("MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X%n", vendor, device, subVendor, subDevice, cls >> 16, (cls >> 8) & 0xff, cls & 0xff));
    d.file("uevent", uevent.toString());
    d.subsystem(subVendor, subDevice);
    config(d, vendor, device, cls, subVendor, subDevice);
    d.file("irq", "0").file("enable", "1").file("msi_bus", "1").file("broken_parity_status", "0")
        .file("consistent_dma_mask_bits", "64").file("dma_mask_bits", "64").file("d3cold_allowed", "1")
        .file("power_state", "D0").file("reset_method", "flr bus").file("local_cpus", node == 0 ? "00ff,fffff000,0000000f,ffffffff" : "ff00,000fffff,fffffff0,00000000")
        .file("modalias", String.format("pci:v%08Xd%08Xsv*sd*bc%02Xsc%02Xi%02X", vendor, device, cls >> 16, (cls >> 8) & 0xff, cls & 0xff))
        .file("resource", "0x00000000c0000000 0x00000000c0ffffff 0x0000000000040200\n".repeat(6))
        .file("power/control", "auto").file("power/runtime_status", "active")
        .file("remove", "").file("rescan", "").file("reset", "");
    if ((cls >> 16) != 0x08 && (cls >> 16) != 0x11) {
      d.pcieLink("16.0 GT/s PCIe", 16).file("current_link_speed", "16.0 GT/s PCIe").file("current_link_width", "16");
    }
    return d;
  }

  /** The first 64 bytes of configuration space, as an unprivileged reader of {@code config} gets them. */
  private static void config(FakeSysfs.Device d, int vendor, int device, int cls, int subVendor, int subDevice) {
    byte[] c = new byte[64];
    put16(c, 0, vendor);
    put16(c, 2, device);
    put16(c, 4, 0x0406); // memory space, bus master, no INTx
    put16(c, 6, 0x0010); // capability list
    c[8] = (byte) 0xa1;
    c[9] = (byte) cls;
    c[10] = (byte) (cls >>> 8);
    c[11] = (byte) (cls >>> 16);
    boolean bridge = (cls >>> 8) == 0x0604;
    c[14] = (byte) (bridge ? 0x01 : 0x00);
    if (!bridge) {
      put16(c, 0x2c, subVendor);
      put16(c, 0x2e, subDevice);
    }
    c[0x34] = 0x40;
    try {
      Files.write(d.dir().resolve("config"), c);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void put16(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
