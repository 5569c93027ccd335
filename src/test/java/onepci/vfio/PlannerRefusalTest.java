package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices the host needs are refused with the device, the reason and the fix, exit 1, and nothing
 * on the host changes: no write, no journal, no log file.
 */
class PlannerRefusalTest {

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;
  TreeMap<String, String> before;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    kernel = host.simulate();
    before = host.snapshot();
  }

  void assertRefused(String... lines) throws Exception {
    assertThat(host.errLines()).containsExactly(lines);
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.snapshot()).isEqualTo(before);
  }

  @Test
  void aControllerHoldingTheRootFilesystem() throws Exception {
    assertThat(host.prepare("one-7", "0000:03:00.0")).isEqualTo(1);
    assertRefused(
        "one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /; fix: unmount / and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aSiblingHoldingActiveSwapThroughDeviceMapper() throws Exception {
    host.fs.device("0000:08:00.0").id(0x10de, 0x2330, 0x030200).iommuGroup(20).driver("nvidia");
    host.fs.device("0000:08:00.1").id(0x1b4b, 0x9230, 0x010601).iommuGroup(20).driver("ahci")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sda").block("ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
    host.fs.write("sys/devices/virtual/block/dm-1/dm/name", "vg0-swap\n");
    host.fs.write("sys/devices/virtual/block/dm-1/dev", "253:1\n");
    Files.createDirectories(tmp.resolve("sys/class/block"));
    Files.createSymbolicLink(tmp.resolve("sys/class/block/dm-1"), Path.of("../../devices/virtual/block/dm-1"));
    Files.createDirectories(tmp.resolve("sys/class/block/sda2/holders"));
    Files.createSymbolicLink(tmp.resolve("sys/class/block/sda2/holders/dm-1"), Path.of("../../../../../../../../../../virtual/block/dm-1"));
    host.fs.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/mapper/vg0-swap                    partition\t8388604\t0\t-2\n");
    kernel = host.simulate();
    before = host.snapshot();

    assertThat(host.prepare("one-7", "0000:08:00.0")).isEqualTo(1);

    assertRefused(
        "one-pci vfio: one-7: refused 0000:08:00.1: holds /dev/mapper/vg0-swap, in use as swap (in IOMMU group 20 with the requested device);"
            + " fix: run 'swapoff /dev/mapper/vg0-swap' and remove it from /etc/fstab",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aFilesystemMountedThroughADevLinkIsFoundToo() throws Exception {
    host.fs.write("dev/nvme0n1p1", "");
    Files.createDirectories(tmp.resolve("dev/disk/by-uuid"));
    Files.createSymbolicLink(tmp.resolve("dev/disk/by-uuid/0b1c4e1a"), Path.of("../../nvme0n1p1"));
    // btrfs gives its mounts an anonymous device number: only the source's /dev link leads to the disk
    host.fs.write("proc/self/mountinfo", TestHost.mountinfo("0:40 / /var/lib/one - btrfs /dev/disk/by-uuid/0b1c4e1a"));
    before = host.snapshot();

    assertThat(host.prepare("one-7", "0000:03:00.0")).isEqualTo(1);

    assertRefused(
        "one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/disk/by-uuid/0b1c4e1a, mounted on /var/lib/one;"
            + " fix: unmount /var/lib/one and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void theNicOfTheDefaultRoute() throws Exception {
    assertThat(host.prepare("one-7", "0000:05:00.0")).isEqualTo(1);
    assertRefused(
        "one-pci vfio: one-7: refused 0000:05:00.0: carries eno1, the interface of the host's default route;"
            + " fix: move the default route to another interface, or pass through another NIC",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aNicEnslavedToTheBridgeOfTheDefaultRoute() throws Exception {
    Files.createDirectories(tmp.resolve("sys/class/net/br0"));
    Files.createDirectories(tmp.resolve("sys/class/net/eth1"));
    Files.createSymbolicLink(tmp.resolve("sys/class/net/eth1/master"), Path.of("../br0"));
    host.fs.write("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        + "br0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    before = host.snapshot();

    assertThat(host.prepare("one-7", "0000:02:00.0")).isEqualTo(1);

    assertRefused(
        "one-pci vfio: one-7: refused 0000:02:00.0: carries br0, the interface of the host's default route;"
            + " fix: move the default route to another interface, or pass through another NIC",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void theIpv6DefaultRouteCountsToo() throws Exception {
    host.fs.write("proc/net/ipv6_route",
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth1\n");
    before = host.snapshot();

    assertThat(host.prepare("one-7", "0000:02:00.0")).isEqualTo(1);
    assertThat(host.errLines().get(0)).isEqualTo(
        "one-pci vfio: one-7: refused 0000:02:00.0: carries eth1, the interface of the host's default route;"
            + " fix: move the default route to another interface, or pass through another NIC");
  }

  @Test
  void theBootVgaDrivingAFramebufferConsole() throws Exception {
    assertThat(host.prepare("one-7", "0000:06:00.0")).isEqualTo(1);
    String vt = tmp.resolve("sys/class/vtconsole/vtcon1").toString();
    assertRefused(
        "one-pci vfio: one-7: refused 0000:06:00.0: is the boot VGA device and drives the host console (" + vt + ");"
            + " fix: boot the host with video=efifb:off (or use another GPU for the console), or write 0 to " + vt + "/bind",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void theBootVgaWithoutAFramebufferConsoleCanGo() throws Exception {
    host.fs.write("sys/class/vtconsole/vtcon1/bind", "0\n");
    assertThat(host.prepare("one-7", "0000:06:00.0")).isZero();
    assertThat(host.driver("0000:06:00.0")).contains("vfio-pci");
  }

  @Test
  void aMissingDeviceAndABridge() throws Exception {
    assertThat(host.prepare("one-7", "0000:09:00.0", "0000:00:01.0")).isEqualTo(1);
    assertRefused(
        "one-pci vfio: one-7: refused 0000:09:00.0: no such PCI device on this host;"
            + " fix: check the address with 'lspci -D'; the VM asks for a device this host does not have (wrong host or stale PCI entry)",
        "one-pci vfio: one-7: refused 0000:00:01.0: is a PCI bridge or port, which cannot be passed through; fix: pass through the devices behind it instead",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void oneBadDeviceStopsTheGoodOnesToo() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0", "0000:03:00.0")).isEqualTo(1);
    assertThat(host.errLines()).hasSize(2);
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.snapshot()).isEqualTo(before);
  }

  @Test
  void theIommuOff() throws Exception {
    TestHost off = new TestHost(tmp.resolve("off"));
    for (var a : new onepci.sysfs.SysfsReader(off.paths).list()) {
      Files.delete(off.paths.pciDevice(a).resolve("iommu_group"));
    }
    try (var s = Files.walk(off.paths.iommuGroups())) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!p.equals(off.paths.iommuGroups())) {
          Files.delete(p);
        }
      }
    }
    off.simulate();

    assertThat(off.prepare("one-7", "0000:01:00.0", "0000:03:00.0")).isEqualTo(1);
    String fix = " fix: enable VT-d (Intel) or AMD-Vi (AMD) in the firmware and boot with intel_iommu=on iommu=pt (amd_iommu=on on AMD)";
    assertThat(off.errLines()).containsExactly(
        "one-pci vfio: one-7: refused 0000:01:00.0: the IOMMU is off (no IOMMU groups on this host);" + fix,
        "one-pci vfio: one-7: refused 0000:03:00.0: the IOMMU is off (no IOMMU groups on this host);" + fix,
        // what the host needs a device for is said even without an IOMMU: it is the refusal that stays
        "one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /;"
            + " fix: unmount / and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aDeviceAnotherRunningDomainHolds() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();
    before = host.snapshot();
    int writes = kernel.writes().size();

    assertThat(host.prepare("one-8", "0000:01:00.1")).isEqualTo(1);

    assertThat(host.errLines()).endsWith(
        "one-pci vfio: one-8: refused 0000:01:00.1: is held by running domain one-7; fix: stop one-7 first, or choose a device in another IOMMU group",
        "one-pci vfio: one-8: nothing was changed");
    assertThat(kernel.writes()).hasSize(writes);
    assertThat(host.snapshot()).isEqualTo(before);
  }

  @Test
  void anAdministratorsDeviceAnotherDomainHoldsIsRefusedToo() throws Exception {
    assertThat(host.prepare("one-7", "0000:04:00.0")).isZero();
    assertThat(host.prepare("one-8", "0000:04:00.0")).isEqualTo(1);
    assertThat(host.errLines()).contains(
        "one-pci vfio: one-8: refused 0000:04:00.0: is held by running domain one-7; fix: stop one-7 first, or choose a device in another IOMMU group");
  }
}
