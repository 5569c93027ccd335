package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's own use of a device is checked from tables that fail closed (one that cannot be read
 * refuses the plan, naming the file) and matched by device number, whatever name the mount or swap
 * source has.
 */
class HostUsageFailClosedTest {

  static final String CANNOT_CHECK = "refusing to move any device while the host's own use of it cannot be checked";

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;
  TreeMap<String, String> before;
  String root;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    kernel = host.simulate();
    root = tmp.toString();
  }

  /** Prepares eth1 (0000:02:00.0, alone in its group, used by nothing): refused with exactly these lines. */
  void assertEth1Refused(String... lines) throws Exception {
    assertRefused("0000:02:00.0", lines);
    assertThat(host.driver("0000:02:00.0")).contains("e1000e");
  }

  /** Prepares {@code address} for one-7: refused with exactly these lines, nothing written, no journal. */
  void assertRefused(String address, String... lines) throws Exception {
    before = host.snapshot();
    assertThat(host.prepare("one-7", address)).isEqualTo(1);
    assertThat(host.errLines()).containsExactly(lines);
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.snapshot()).isEqualTo(before);
    assertThat(host.journal("one-7")).doesNotExist();
  }

  /** eth1's prepare is refused because {@code file} (under the fake root) cannot be read, for {@code reason}. */
  void assertProcTableRefused(String file, String reason) throws Exception {
    String path = root + "/" + file;
    assertEth1Refused(
        "one-pci vfio: one-7: refused 0000:02:00.0: cannot read " + path + " (" + reason + "): " + CANNOT_CHECK + "; fix: " + procFix(path),
        "one-pci vfio: one-7: nothing was changed");
  }

  static String procFix(String file) {
    return "check that /proc is mounted and root can read " + file + " ('cat " + file + "'), then start the VM again";
  }

  @Test
  void withoutTheMountTableNothingMoves() throws Exception {
    host.fs.delete("proc/self/mountinfo");
    assertProcTableRefused("proc/self/mountinfo", "no such file");
  }

  @Test
  void aMountTableThatCannotBeReadRefusesWithTheKernelsReason() throws Exception {
    host.fs.delete("proc/self/mountinfo");
    Files.createDirectories(tmp.resolve("proc/self/mountinfo"));
    assertProcTableRefused("proc/self/mountinfo", "is a directory");
  }

  @Test
  void anEmptyMountTableIsNoMountTable() throws Exception {
    host.fs.write("proc/self/mountinfo", "");
    assertProcTableRefused("proc/self/mountinfo", "it is empty; a host always has its root mounted");
  }

  @Test
  void withoutTheSwapListNothingMoves() throws Exception {
    host.fs.delete("proc/swaps");
    assertProcTableRefused("proc/swaps", "no such file");
  }

  @Test
  void withoutTheIpv4RouteTableNothingMoves() throws Exception {
    host.fs.delete("proc/net/route");
    assertProcTableRefused("proc/net/route", "no such file");
  }

  @Test
  void withoutTheIpv6RouteTableOfAKernelWithIpv6NothingMoves() throws Exception {
    Files.createDirectories(tmp.resolve("proc/sys/net/ipv6"));
    assertProcTableRefused("proc/net/ipv6_route", "no such file");
  }

  @Test
  void anEmptyIpv4RouteTableIsAKernelWithoutOneYet() throws Exception {
    // what a real kernel shows before any IPv4 address is configured (found in the kernel bed)
    host.fs.write("proc/net/route", "");
    assertThat(host.prepare("one-7", "0000:02:00.0")).isZero();
    assertThat(host.driver("0000:02:00.0")).contains("vfio-pci");
  }

  @Test
  void aRouteTableWithoutTheKernelsHeaderIsRefused() throws Exception {
    host.fs.write("proc/net/route", "eno1\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    assertProcTableRefused("proc/net/route", "it does not start with the kernel's 'Iface' header");
  }

  @Test
  void aKernelWithoutIpv6HasNoIpv6RoutesToRead() throws Exception {
    // no proc/sys/net/ipv6 and no proc/net/ipv6_route: ipv6.disable=1
    assertThat(host.prepare("one-7", "0000:02:00.0")).isZero();
    assertThat(host.driver("0000:02:00.0")).contains("vfio-pci");
  }

  @Test
  void aSwapAreaThatCannotBeTracedToADeviceRefuses() throws Exception {
    host.fs.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swap.img                               file\t8388604\t0\t-2\n");
    String file = root + "/swap.img";

    assertEth1Refused(
        "one-pci vfio: one-7: refused 0000:02:00.0: cannot tell which block device holds /swap.img, active swap in " + root
            + "/proc/swaps (" + file + ": no such file): " + CANNOT_CHECK
            + "; fix: see 'swapon --show'; if /swap.img is stale, run 'swapoff /swap.img', then start the VM again",
        "one-pci vfio: one-7: nothing was changed");
  }

  // --- matched by device number ---------------------------------------------------------------

  @Test
  void aRootFilesystemMountedAsDevRootIsFoundByItsNumber() throws Exception {
    // the kernel's name for a root given as root=/dev/nvme0n1p1 on the command line: no such node
    host.fs.write("proc/self/mountinfo", TestHost.mountinfo("259:1 / / - ext4 /dev/root", "0:22 / /proc - proc proc"));
    assertRefused(
        "0000:03:00.0",
        "one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/root (nvme0n1p1), mounted on /;"
            + " fix: unmount / and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  /**
   * 0000:08:00.0, an AHCI controller: disk sda (8:0), its partition sda1 (8:1, found in the disk's
   * folder only) mounted on /boot through a by-uuid name this root has no link for, and a dm
   * device dm-3 (253:3) on sda1 without a dm name, mounted on /var/lib/one.
   */
  @Test
  void aPartitionAndADeviceMapperHolderAreFoundByNumber() throws Exception {
    FakeSysfs.Device ahci = host.fs.device("0000:08:00.0").id(0x8086, 0x2922, 0x010601).iommuGroup(20).driver("ahci")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sda", "8:0");
    Path sda1 = ahci.dir().resolve("ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
    host.fs.write(tmp.relativize(sda1.resolve("dev")).toString(), "8:1\n");
    host.fs.write(tmp.relativize(sda1.resolve("partition")).toString(), "1\n");
    host.fs.write("sys/devices/virtual/block/dm-3/dev", "253:3\n");
    Files.createSymbolicLink(tmp.resolve("sys/class/block/dm-3"), Path.of("../../devices/virtual/block/dm-3"));
    Files.createDirectories(sda1.resolve("holders"));
    Files.createSymbolicLink(sda1.resolve("holders/dm-3"), sda1.resolve("holders").relativize(tmp.resolve("sys/devices/virtual/block/dm-3")));
    host.fs.write("proc/self/mountinfo", TestHost.mountinfo(
        "259:1 / / - ext4 /dev/nvme0n1p1", "8:1 / /boot - ext4 /dev/disk/by-uuid/5e7a", "253:3 / /var/lib/one - xfs /dev/mapper/vg0-one"));
    kernel = host.simulate();
    assertRefused(
        "0000:08:00.0",
        "one-pci vfio: one-7: refused 0000:08:00.0: holds /dev/disk/by-uuid/5e7a (sda1), mounted on /boot;"
            + " fix: unmount /boot and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: refused 0000:08:00.0: holds /dev/mapper/vg0-one (dm-3), mounted on /var/lib/one;"
            + " fix: unmount /var/lib/one and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aSwapFileIsFoundByTheNumberOfTheFilesystemHoldingIt() throws Exception {
    host.fs.write("swap.img", "");
    String fsNumber = HostUsage.majorMinor(((Number) Files.getAttribute(tmp.resolve("swap.img"), "unix:dev")).longValue());
    host.fs.device("0000:08:00.0").id(0x8086, 0x2922, 0x010601).iommuGroup(20).driver("ahci")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sdb", "8:16")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1", fsNumber);
    host.fs.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swap.img                               file\t8388604\t0\t-2\n");
    kernel = host.simulate();
    assertRefused(
        "0000:08:00.0",
        "one-pci vfio: one-7: refused 0000:08:00.0: holds /swap.img (sdb1), in use as swap; fix: run 'swapoff /swap.img' and remove it from /etc/fstab",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aBlockDeviceWhoseNumberCannotBeReadRefusesItsController() throws Exception {
    host.fs.delete(tmp.relativize(tmp.resolve("sys/class/block/nvme0n1p1").toRealPath().resolve("dev")).toString());
    String file = root + "/sys/class/block/nvme0n1p1/dev";
    assertRefused(
        "0000:03:00.0",
        "one-pci vfio: one-7: refused 0000:03:00.0: cannot read " + file
            + " (no such file): refusing to move it while the host's own use of it cannot be checked; fix: check that root can read "
            + file + ", then start the VM again",
        // the name still matches
        "one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /;"
            + " fix: unmount / and remove it from /etc/fstab, or pass through another device",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aHoldersFolderThatCannotBeListedRefusesItsController() throws Exception {
    // a file where the kernel keeps the holders/ folder: it exists, and cannot be listed
    Path holders = tmp.resolve("sys/class/block/nvme0n1").toRealPath().resolve("holders");
    Files.writeString(holders, "");
    String file = root + "/sys/class/block/nvme0n1/holders";
    assertRefused(
        "0000:03:00.0",
        "one-pci vfio: one-7: refused 0000:03:00.0: cannot read " + file
            + " (cannot be listed): refusing to move it while the host's own use of it cannot be checked; fix: check that root can read "
            + file + ", then start the VM again",
        "one-pci vfio: one-7: nothing was changed");
  }

  @Test
  void aConsoleThatCannotBeReadRefusesTheBootVgaDeviceOnly() throws Exception {
    host.fs.delete("sys/class/vtconsole/vtcon1/bind");
    Files.createDirectories(tmp.resolve("sys/class/vtconsole/vtcon1/bind"));
    String file = root + "/sys/class/vtconsole/vtcon1/bind";
    assertRefused(
        "0000:06:00.0",
        "one-pci vfio: one-7: refused 0000:06:00.0: is the boot VGA device, and whether it drives the host console is unknown:"
            + " cannot read " + file + " (is a directory); fix: check that root can read " + file + ", then start the VM again",
        "one-pci vfio: one-7: nothing was changed");
    // a device that is not the boot VGA one goes
    assertThat(host.prepare("one-8", "0000:02:00.0")).isZero();
  }
}
