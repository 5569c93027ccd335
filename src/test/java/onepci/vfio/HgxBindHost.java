package onepci.vfio;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.testing.FakeSysfs;

/**
 * An HGX H100 board as the vfio engine sees it, for whole-board prepares (named apart from the
 * template tests' HGX fixture): 8 H100 SXM5 GPUs on the nvidia driver, each behind its own PCIe
 * switch port (the port in a group of its own, as ACS makes it), 4 on NUMA node 0 and 4 on node
 * 1, and 4 NVSwitches ({@code 10de:22a3}, class 0680), two on each node. Every device is alone in its IOMMU group.
 * The second GPU is already on vfio-pci by the administrator, as the guide binds GPUs
 * ({@code driverctl}: override vfio-pci), its {@code /dev/vfio} node root-only (mode 0600, as
 * without the udev rule). The host
 * runs from a SATA disk and routes through an interface that is not on the board.
 */
public final class HgxBindHost {

  /** The GPUs, node 0 first, in the order the domain names them. */
  public static final List<String> GPUS = List.of(
      "0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0",
      "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0");
  public static final List<String> NVSWITCHES = List.of("0000:05:00.0", "0000:06:00.0", "0000:07:00.0", "0000:08:00.0");
  /** The 12 devices of the whole-board domain, in its XML's order: the GPUs, then the NVSwitches. */
  public static final List<String> BOARD = Stream.concat(GPUS.stream(), NVSWITCHES.stream()).toList();
  /** The GPU the administrator keeps on vfio-pci. */
  public static final String ADMIN_BOUND = "0000:2a:00.0";

  public final FakeSysfs fs;
  public final HostPaths paths;
  public final SimulatedKernel kernel;
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  public HgxBindHost(Path root) throws IOException {
    fs = FakeSysfs.create(root);
    paths = fs.paths();
    for (int i = 0; i < GPUS.size(); i++) {
      int node = i < 4 ? 0 : 1;
      String gpu = GPUS.get(i);
      String bus = gpu.substring(5, 7);
      FakeSysfs.Device port = fs.device(String.format("0000:%02x:00.0", Integer.parseInt(bus, 16) - 1))
          .id(0x10b5, 0xc010, 0x060400).numa(node).iommuGroup(100 + i).driver("pcieport");
      FakeSysfs.Device d = fs.device(gpu, port).id(0x10de, 0x2330, 0x030200).subsystem(0x10de, 0x16c1).numa(node).iommuGroup(20 + i);
      if (gpu.equals(ADMIN_BOUND)) {
        d.driver("vfio-pci").driverOverride("vfio-pci");
        fs.file("dev/vfio/" + (20 + i), "", "rw-------");
      } else {
        d.driver("nvidia");
      }
    }
    for (int i = 0; i < NVSWITCHES.size(); i++) {
      String sw = NVSWITCHES.get(i);
      fs.device(sw).id(0x10de, 0x22a3, 0x068000).numa(i < 2 ? 0 : 1).iommuGroup(40 + i).driver("nvidia");
    }
    fs.write("proc/self/mountinfo", TestHost.mountinfo("8:1 / / - ext4 /dev/sda1", "0:22 / /proc - proc proc"));
    fs.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    fs.write("proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "bond0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    fs.write("etc/group", "root:x:0:\nkvm:x:4242:\n");
    kernel = new SimulatedKernel(paths);
  }

  /** The engine on the simulated kernel, logging to {@link #err} with a fixed clock. */
  public VfioEngine engine() {
    return new VfioEngine(paths, kernel.kernel(Duration.ofSeconds(10)), log());
  }

  /**
   * The engine as a host runs it, for the benchmark: each write goes through a {@code dd} child
   * (to a scratch file) and its bound, then to the simulated kernel.
   */
  public VfioEngine engineWithDdChildren() throws IOException {
    Path scratch = Files.createDirectories(paths.root().resolve("scratch")).resolve("write");
    ChildProcessWrites dd = new ChildProcessWrites();
    KernelWrites writes = new BoundedWrites((file, content) -> {
      dd.write(scratch, content);
      kernel.write(file, content);
    }, Duration.ofSeconds(30));
    Kernel sim = kernel.kernel(Duration.ofSeconds(30));
    return new VfioEngine(paths, new Kernel(writes, sim.modules(), sim.signals()), log());
  }

  private ActionLog log() {
    return new ActionLog(VfioEngine.logFile(paths), new PrintStream(err, true, StandardCharsets.UTF_8),
        Clock.fixed(TestHost.NOW, ZoneOffset.UTC));
  }

  /** Forgets what the engine has said so far. */
  public void clearLog() {
    err.reset();
  }

  public int prepare(String domain, List<String> addresses) throws IOException {
    return engine().prepare(domain, addresses.stream().map(PciAddress::parse).toList(), Optional.empty());
  }

  public int release(String domain) throws IOException {
    return engine().release(domain, List.of(), Optional.empty());
  }

  List<String> errLines() {
    return err.toString(StandardCharsets.UTF_8).lines().toList();
  }

  public Optional<String> driver(String address) {
    try {
      return Optional.of(Files.readSymbolicLink(paths.pciDevice(PciAddress.parse(address)).resolve("driver")).getFileName().toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public Path journal(String domain) {
    return paths.vfioState().resolve(domain + ".journal");
  }

  /**
   * What a prepare must leave as it found it: every driver link, {@code driver_override},
   * {@code /dev/vfio} node (with its mode and group) and journal; the action log aside.
   */
  public TreeMap<String, String> state() throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    for (String top : List.of("sys/bus/pci/devices", "sys/bus/pci/drivers", "dev", "run")) {
      Path d = paths.root().resolve(top);
      if (!Files.exists(d)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(d)) {
        for (Path p : s.toList()) {
          String rel = paths.root().relativize(p).toString();
          if (rel.equals("run") || rel.equals("run/one-pci") || rel.equals("run/one-pci/lock") || rel.equals("run/one-pci/vfio.log")) {
            continue;
          }
          if (Files.isSymbolicLink(p)) {
            out.put(rel, "-> " + Files.readSymbolicLink(p));
            Path dev = p.resolve("driver_override");
            if (top.equals("sys/bus/pci/devices") && Files.exists(dev)) {
              out.put(rel + "/driver_override", Files.readString(dev).strip());
              Path drv = p.resolve("driver");
              out.put(rel + "/driver", Files.isSymbolicLink(drv) ? Files.readSymbolicLink(drv).toString() : "(none)");
            }
          } else if (Files.isRegularFile(p)) {
            out.put(rel, Files.readString(p) + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                + " gid " + Files.getAttribute(p, "unix:gid"));
          } else {
            out.put(rel, "dir");
          }
        }
      }
    }
    return out;
  }
}
