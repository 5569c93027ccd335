package onepci.doctor;

import static onepci.doctor.HeldOutHostsTest.entry;
import static onepci.testing.HealthyH100Host.GPU;
import static onepci.testing.HealthyH100Host.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * doctor judges devices by the vfio engine's own rules: what prepare refuses (a bridge or port, a
 * device the host runs on) is not passable, with the engine's reason and fix, and is never told
 * to be bound to vfio-pci.
 */
class PassableTest {

  static final String ROOT_PORT = "0000:00:1d.0";
  static final String NVME = "0000:02:00.0";
  static final String ROUTE_NIC = "0000:00:1f.6";
  static final String FILTER_FIX = "on the front-end, set  :filter: '10de:*'  in /var/lib/one/remotes/etc/im/kvm-probes.d/pci.conf, then: onehost sync -f";

  @TempDir Path tmp;
  HealthyH100Host host;
  FakeSysfs sys;

  @BeforeEach
  void setUp() {
    host = HealthyH100Host.create(tmp.resolve("host"));
    sys = host.sys();
  }

  /**
   * The healthy host with {@code :filter: '*:*'}: / on an NVMe drive behind a root port, the
   * default route on the onboard NIC.
   */
  void starFilterHost() {
    FakeSysfs.Device port = sys.device(ROOT_PORT).id(0x8086, 0x7ab0, 0x060400).iommuGroup(2).driver("pcieport");
    sys.device(NVME, port).id(0x144d, 0xa80a, 0x010802).iommuGroup(3).driver("nvme")
        .block("nvme/nvme0/nvme0n1").file("nvme/nvme0/nvme0n1/dev", "259:0")
        .block("nvme/nvme0/nvme0n1/nvme0n1p2").file("nvme/nvme0/nvme0n1/nvme0n1p2/dev", "259:2");
    sys.device(ROUTE_NIC).id(0x8086, 0x15fb, 0x020000).iommuGroup(4).driver("e1000e").net("eno1", null);
    sys.write("proc/self/mounts", "/dev/nvme0n1p2 / ext4 rw,relatime 0 0\nproc /proc proc rw,nosuid 0 0\n");
    sys.write("proc/self/mountinfo",
        "21 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n22 21 0:22 / /proc rw,nosuid shared:2 - proc proc rw\n");
    sys.write("proc/net/route", HealthyH100Host.ROUTE_HEADER + "eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
    sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '*:*'\n");
  }

  @Test
  void onAStarFilterHostTheRootDiskTheRouteNicAndThePortsAreNotPassableAndGetNoDriverctlFix() {
    starFilterHost();

    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", sys.root().toString());

    assertThat(r.status()).isEqualTo(2);
    String offered = "not passable, although the probe offers it to VMs (a VM given it would not start): ";
    String bridge = offered + "is a PCI bridge or port, which cannot be passed through";
    String bridgeFix = "pass through the devices behind it instead; to stop offering it, " + FILTER_FIX;
    assertThat(r.out())
        .contains(entry("passable", "fail", ROOT_PORT, bridge, bridgeFix))
        .contains(entry("passable", "fail", ROUTE_NIC, offered + "carries eno1, the interface of the host's default route",
            "move the default route to another interface, or pass through another NIC; to stop offering it, " + FILTER_FIX))
        .contains(entry("passable", "fail", NVME, offered + "holds /dev/nvme0n1p2, mounted on /",
            "unmount / and remove it from /etc/fstab, or pass through another device; to stop offering it, " + FILTER_FIX))
        .contains(entry("passable", "fail", HealthyH100Host.PORT, bridge, bridgeFix))
        .doesNotContain("driverctl set-override " + ROOT_PORT)
        .doesNotContain("driverctl set-override " + ROUTE_NIC)
        .doesNotContain("driverctl set-override " + NVME)
        .doesNotContain("driverctl set-override " + HealthyH100Host.PORT);

    // a device the engine refuses gets that one check; the others go through every check
    List<Check> checks = Doctor.run(HostState.read(sys.paths(), Optional.empty()));
    assertThat(checks)
        .filteredOn(c -> !c.subject().equals(Check.HOST))
        .extracting(Check::subject, Check::name, Check::status)
        .containsExactly(
            tuple(ROOT_PORT, "passable", Status.FAIL),
            tuple(ROUTE_NIC, "passable", Status.FAIL),
            tuple(NVME, "passable", Status.FAIL),
            tuple(HealthyH100Host.NIC, "passable", Status.PASS),
            tuple(HealthyH100Host.NIC, "driver", Status.WARN),
            tuple(HealthyH100Host.NIC, "group-viable", Status.PASS),
            tuple(HealthyH100Host.NIC, "override", Status.PASS),
            tuple(HealthyH100Host.PORT, "passable", Status.FAIL),
            tuple(GPU, "passable", Status.PASS),
            tuple(GPU, "driver", Status.PASS),
            tuple(GPU, "group-viable", Status.PASS),
            tuple(GPU, "nvidia-host-driver", Status.PASS),
            tuple(GPU, "override", Status.PASS),
            tuple(HealthyH100Host.NIC, "dev-vfio", Status.PASS),
            tuple(GPU, "dev-vfio", Status.PASS));
  }

  @Test
  void theTextReportSaysNotPassableWithTheEnginesFix() {
    starFilterHost();

    Cli.Result r = Cli.run("doctor", "--sysfs-root", sys.root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out())
        .contains(
            "fail    passable            " + NVME
                + "  not passable, although the probe offers it to VMs (a VM given it would not start): holds /dev/nvme0n1p2, mounted on /\n"
                + "                                          fix: unmount / and remove it from /etc/fstab, or pass through another device; "
                + "to stop offering it, " + FILTER_FIX + "\n");
  }

  @Test
  void aGpuWhoseGroupHoldsAMountedDisksControllerIsNotViableAndNamesWhy() {
    FakeSysfs.Device ahci = sys.device("0000:e1:00.1", host.port()).id(0x8086, 0x2922, 0x010601).iommuGroup(GROUP).driver("ahci");
    ahci.block("ata1/host0/target0:0:0/0:0:0:0/block/sdb").file("ata1/host0/target0:0:0/0:0:0:0/block/sdb/dev", "8:16")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1").file("ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1/dev", "8:17");
    sys.write("proc/self/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /srv/data xfs rw 0 0\n");
    sys.write("proc/self/mountinfo",
        "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n40 21 8:17 / /srv/data rw,relatime shared:9 - xfs /dev/sdb1 rw\n");

    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", sys.root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out())
        .contains(entry("passable", "pass", GPU,
            "the vfio engine can take it: not a bridge or port, and not a device the host runs on (mounts, swap, default route, console)", ""))
        .contains(entry("group-viable", "fail", GPU,
            "IOMMU group 13 is not viable: 0000:e1:00.1 (8086:2922) holds /dev/sdb1, mounted on /srv/data (in IOMMU group 13 with the requested device)",
            "unmount /srv/data and remove it from /etc/fstab, or pass through another device"))
        .doesNotContain("driverctl set-override 0000:e1:00.1");
    assertThat(r.out().split("\"status\":\"fail\"", -1)).hasSize(2); // that check alone
  }

  @Test
  void aGpuTheProbeDoesNotOfferThatTheHostNeedsPassesWithTheReason() {
    // the boot VGA device drives the console; the filter leaves it out
    FakeSysfs.Device vga = sys.device("0000:c1:00.0").id(0x10de, 0x1eb8, 0x030000).iommuGroup(21).driver("nouveau").file("boot_vga", "1");
    sys.write("sys/class/vtconsole/vtcon1/bind", "1\n").write("sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
    sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*'\n:short_address: ['e1:00.0']\n");

    List<Check> checks = Doctor.run(HostState.read(sys.paths(), Optional.empty()));

    assertThat(checks)
        .filteredOn(c -> c.subject().equals(vga.address().toString()))
        .extracting(Check::name, Check::status, Check::message)
        .containsExactly(tuple("passable", Status.PASS,
            "not passable, and the probe does not offer it: is the boot VGA device and drives the host console ("
                + sys.root().resolve("sys/class/vtconsole/vtcon1") + ")"));
  }
}
