package onepci.vfio;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.testing.FakeSysfs;

/**
 * A KVM host with the cases the hook meets, on a fake sysfs with a simulated kernel:
 *
 * <pre>
 * 0000:00:01.0  root port (pcieport)             group 1
 * 0000:01:00.0  H100 (nvidia)                     group 12, behind the root port
 * 0000:01:00.1  its audio function (snd_hda_intel) group 12
 * 0000:02:00.0  e1000e NIC eth1                   group 13
 * 0000:03:00.0  NVMe holding / (nvme0n1p1)         group 14
 * 0000:04:00.0  H100 bound to vfio-pci by the administrator (driverctl) group 15
 * 0000:05:00.0  igb NIC eno1, the default route   group 16
 * 0000:06:00.0  ASPEED VGA, boot VGA with a framebuffer console group 17
 * 0000:07:00.0  H100 (nvidia)                     group 18
 * 0000:07:00.1  its unbound audio function        group 18
 * </pre>
 */
public final class TestHost {

  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  public final FakeSysfs fs;
  public final HostPaths paths;
  public final int kvmGid;
  SimulatedKernel kernel;
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  public TestHost(Path root) throws IOException {
    fs = FakeSysfs.create(root);
    paths = fs.paths();
    FakeSysfs.Device rp = fs.device("0000:00:01.0").id(0x8086, 0x347a, 0x060400).iommuGroup(1).driver("pcieport");
    fs.device("0000:01:00.0", rp).id(0x10de, 0x2330, 0x030200).iommuGroup(12).driver("nvidia");
    fs.device("0000:01:00.1", rp).id(0x10de, 0x22a3, 0x040300).iommuGroup(12).driver("snd_hda_intel");
    fs.device("0000:02:00.0").id(0x8086, 0x10d3, 0x020000).iommuGroup(13).driver("e1000e").net("eth1", null);
    fs.device("0000:03:00.0").id(0x144d, 0xa808, 0x010802).iommuGroup(14).driver("nvme")
        .block("nvme/nvme0/nvme0n1", "259:0").block("nvme/nvme0/nvme0n1/nvme0n1p1", "259:1");
    fs.device("0000:04:00.0").id(0x10de, 0x2330, 0x030200).iommuGroup(15).driver("vfio-pci").driverOverride("vfio-pci");
    fs.device("0000:05:00.0").id(0x8086, 0x1533, 0x020000).iommuGroup(16).driver("igb").net("eno1", null);
    fs.device("0000:06:00.0").id(0x1a03, 0x2000, 0x030000).iommuGroup(17).driver("ast").file("boot_vga", "1");
    fs.device("0000:07:00.0").id(0x10de, 0x2330, 0x030200).iommuGroup(18).driver("nvidia");
    fs.device("0000:07:00.1").id(0x10de, 0x22a3, 0x040300).iommuGroup(18);
    fs.write("dev/vfio/15", "");
    fs.write("proc/self/mountinfo", mountinfo("259:1 / / - ext4 /dev/nvme0n1p1", "0:22 / /proc - proc proc"));
    fs.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    fs.write("proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eno1\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            + "eth1\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
    fs.write("sys/class/vtconsole/vtcon0/name", "(S) dummy device\n").write("sys/class/vtconsole/vtcon0/bind", "0\n");
    fs.write("sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n").write("sys/class/vtconsole/vtcon1/bind", "1\n");
    // a gid the test can give the node: any gid for root, its own group otherwise
    int own = ((Number) Files.getAttribute(root, "unix:gid")).intValue();
    kvmGid = ((Number) Files.getAttribute(root, "unix:uid")).intValue() == 0 ? 4242 : own;
    fs.write("etc/group", "root:x:0:\nkvm:x:" + kvmGid + ":\n");
  }

  /**
   * {@code /proc/self/mountinfo} lines from {@code "MAJOR:MINOR ROOT MOUNTPOINT - FSTYPE SOURCE"}
   * each, numbered and filled in as the kernel writes them.
   */
  public static String mountinfo(String... mounts) {
    StringBuilder sb = new StringBuilder();
    int id = 21;
    for (String m : mounts) {
      String[] f = m.split(" ");
      sb.append(id).append(' ').append(id == 21 ? 1 : 21).append(' ').append(f[0]).append(' ').append(f[1]).append(' ').append(f[2])
          .append(" rw,relatime shared:").append(id - 20).append(" - ").append(f[4]).append(' ').append(f[5]).append(" rw\n");
      id++;
    }
    return sb.toString();
  }

  public SimulatedKernel simulate() throws IOException {
    kernel = new SimulatedKernel(paths);
    return kernel;
  }

  VfioEngine engine() {
    return engine(Duration.ofSeconds(10));
  }

  VfioEngine engine(Duration writeLimit) {
    ActionLog log = new ActionLog(VfioEngine.logFile(paths), new PrintStream(err, true, StandardCharsets.UTF_8), Clock.fixed(NOW, ZoneOffset.UTC));
    return new VfioEngine(paths, kernel.kernel(writeLimit), log);
  }

  public int prepare(String domain, String... addresses) throws IOException {
    return engine().prepare(domain, Stream.of(addresses).map(PciAddress::parse).toList(), Optional.empty());
  }

  int release(String domain, String... addresses) throws IOException {
    return engine().release(domain, Stream.of(addresses).map(PciAddress::parse).toList(), Optional.empty());
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  List<String> errLines() {
    return err().lines().toList();
  }

  public Optional<String> driver(String address) {
    try {
      return Optional.of(Files.readSymbolicLink(paths.pciDevice(PciAddress.parse(address)).resolve("driver")).getFileName().toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  String override(String address) throws IOException {
    return Files.readString(paths.pciDevice(PciAddress.parse(address)).resolve("driver_override")).strip();
  }

  public Path journal(String domain) {
    return paths.vfioState().resolve(domain + ".journal");
  }

  public String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }

  /**
   * Every file (with content, mode, group) and link (with target) under sys/, dev/ and run/ but the
   * lock file, to show that nothing changed.
   */
  public TreeMap<String, String> snapshot() throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    for (String top : List.of("sys", "dev", "run")) {
      Path d = paths.root().resolve(top);
      if (!Files.exists(d)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(d)) {
        for (Path p : s.toList()) {
          String rel = paths.root().relativize(p).toString();
          if (rel.equals("run/one-pci") || rel.equals("run/one-pci/lock") || rel.equals("run")) {
            continue; // the lock every call takes, changing nothing on the host
          }
          if (Files.isSymbolicLink(p)) {
            out.put(rel, "-> " + Files.readSymbolicLink(p));
          } else if (Files.isRegularFile(p)) {
            out.put(rel, new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1) + " " + Files.getAttribute(p, "unix:mode") + " " + Files.getAttribute(p, "unix:gid"));
          } else {
            out.put(rel, "dir");
          }
        }
      }
    }
    return out;
  }
}
