package onepci.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HgxHost;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor on an HGX board: the NVSwitches checked like GPUs, the host's Fabric Manager, the board's summary. */
class HgxDoctorTest {

  @TempDir Path tmp;
  HgxHost host;
  String root;

  @BeforeEach
  void setUp() {
    host = HgxHost.create(tmp.resolve("host"));
    root = host.root();
  }

  Cli.Result doctor() {
    return Cli.run("doctor", "--sysfs-root", root);
  }

  /** The report's lines, with the fixture's root written as {@code ROOT}. */
  List<String> lines(Cli.Result r) {
    return r.out().replace(root, "ROOT").lines().toList();
  }

  static String row(String status, String check, String subject, String message) {
    return String.format("%-6s  %-18s  %-12s  %s", status, check, subject, message);
  }

  static final String FIX_INDENT = " ".repeat(6 + 2 + 18 + 2 + 12 + 2) + "fix: ";

  @Test
  void aHealthyBoardPassesWithItsSummaryAndEveryNvswitchCheckedLikeAGpu() {
    Cli.Result r = doctor();

    assertThat(r.status()).as(r.out()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = lines(r);
    assertThat(lines.subList(0, 3)).containsExactly(
        "host: 8 NVIDIA GPUs (8 x 10de:2330); IOMMU on, 37 groups",
        "board: 8 GPUs (4 on NUMA node 0, 4 on NUMA node 1), 4 NVSwitches, 64-bit BARs 1049088 MiB",
        "");
    for (int i = 0; i < HgxHost.NVSWITCHES.size(); i++) {
      String sw = HgxHost.NVSWITCHES.get(i);
      int group = host.nvswitchGroup(i);
      assertThat(lines).containsSubsequence(
          row("pass", "passable", sw, "the vfio engine can take it: not a bridge or port, and not a device the host runs on (mounts, swap, default route, console)"),
          row("pass", "driver", sw, "10de:22a3 is bound to vfio-pci"),
          row("pass", "group-viable", sw, "IOMMU group " + group + " (1 device) is viable: every endpoint is on vfio-pci or no driver"),
          row("pass", "nvidia-host-driver", sw, "the NVSwitch is not on nvidia-nvswitch or nvidia"),
          row("pass", "override", sw, "persistent override to vfio-pci (driverctl, ROOT/etc/driverctl.d/pci-" + sw + ")"),
          row("pass", "dev-vfio", sw, "ROOT/dev/vfio/" + group + " is group kvm, mode 0666"));
    }
    assertThat(lines).contains(row("pass", "fabric-manager", "host", "no nv-fabricmanager process in ROOT/proc: the NVSwitches are free for a VM's Fabric Manager"));
    assertThat(lines.get(lines.size() - 1)).isEqualTo("84 checks: 84 passed, 0 warnings, 0 failures");
  }

  @Test
  void aRunningFabricManagerFailsWhenTheProbeOffersTheNvswitches() {
    host.fabricManager(2741);

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(2);
    List<String> lines = lines(r);
    int at = lines.indexOf(row("fail", "fabric-manager", "host",
        "nv-fabricmanager runs on this host (pid 2741) while the probe offers the NVSwitches to VMs: the VM's Fabric Manager needs them for NVLink"));
    assertThat(at).as(r.out()).isPositive();
    assertThat(lines.get(at + 1)).isEqualTo(FIX_INDENT + "systemctl disable --now nvidia-fabricmanager");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("84 checks: 83 passed, 0 warnings, 1 failure");
  }

  @Test
  void aRunningFabricManagerPassesWhenTheProbeLeavesTheNvswitchesOut() {
    host.fabricManager(2741);
    host.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*:0302'\n");

    assertThat(lines(doctor())).contains(row("pass", "fabric-manager", "host",
        "nv-fabricmanager runs on this host (pid 2741), and the probe does not offer the NVSwitches: the host keeps NVLink"));
  }

  @Test
  void withoutSightOfOtherUsersProcessesTheFabricManagerIsUnknownNotAbsent() {
    host.sys().delete("proc/1");

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(1);
    List<String> lines = lines(r);
    int at = lines.indexOf(row("warn", "fabric-manager", "host",
        "whether nv-fabricmanager runs is unknown: this user cannot see other users' processes in ROOT/proc (no ROOT/proc/1)"));
    assertThat(at).as(r.out()).isPositive();
    assertThat(lines.get(at + 1)).isEqualTo(FIX_INDENT + "run the doctor again as root (sudo java -jar one-pci.jar doctor)");
  }

  @Test
  void anOfferedNvswitchOnTheHostsNvidiaDriverFails() {
    FakeSysfs.Device sw = host.nvswitches().get(2);
    sw.driver("nvidia-nvswitch").driverOverride("(null)");
    host.sys().delete("etc/driverctl.d/pci-" + sw.address());
    String a = sw.address().toString();

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(2);
    List<String> lines = lines(r);
    assertThat(lines).containsSubsequence(
        row("warn", "driver", a, "10de:22a3 is bound to nvidia-nvswitch, not vfio-pci: the host is using it"),
        FIX_INDENT + "driverctl set-override " + a + " vfio-pci",
        row("fail", "nvidia-host-driver", a,
            "the NVSwitch is on the host driver nvidia-nvswitch although the probe offers it to VMs: QEMU cannot take it while nvidia-nvswitch holds it, and the VM's Fabric Manager needs it for NVLink"),
        FIX_INDENT + "the same as for driver on " + a + " above",
        row("pass", "override", a, "no driver override: the device keeps its driver until a VM takes it"));
  }

  @Test
  void nvswitchesTheFilterLeavesOutAreStillExaminedAndOnNvidiaWarned() {
    host.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*:0302'\n");
    FakeSysfs.Device sw = host.nvswitches().get(0);
    sw.driver("nvidia-nvswitch");
    String a = sw.address().toString();

    List<String> lines = lines(doctor());

    assertThat(lines).contains(row("warn", "nvidia-host-driver", a,
        "the NVSwitch is on the host driver nvidia-nvswitch and the probe filter leaves it out: a VM given this board's GPUs has no NVLink"));
    assertThat(lines).contains(row("pass", "driver", HgxHost.NVSWITCHES.get(1), "10de:22a3 is bound to vfio-pci"));
  }

  @Test
  void theJsonSummaryCarriesTheBoard() {
    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", root);

    assertThat(r.out()).contains(
        ",\"summary\":{\"text\":\"8 NVIDIA GPUs (8 x 10de:2330); IOMMU on, 37 groups\",\"nvidia_gpus\":8,\"models\":[\"10de:2330\",\"10de:2330\",\"10de:2330\",\"10de:2330\",\"10de:2330\",\"10de:2330\",\"10de:2330\",\"10de:2330\"],"
            + "\"iommu\":\"on\",\"iommu_groups\":37,\"board\":\"8 GPUs (4 on NUMA node 0, 4 on NUMA node 1), 4 NVSwitches, 64-bit BARs 1049088 MiB\"}}\n");
  }
}
