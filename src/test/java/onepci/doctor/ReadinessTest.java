package onepci.doctor;

import static onepci.testing.HealthyH100Host.GPU;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import onepci.testing.OneTemplate;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's readiness attributes on fixture hosts, exactly as printed after the PCI vectors, and
 * as oned's grammar reads them: the healthy H100 host, then one thing broken at a time.
 */
class ReadinessTest {

  static final String CONF = "var/tmp/one/etc/im/kvm-probes.d/pci.conf";
  static final String PCI_IDS =
      "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n15b3  Mellanox Technologies\n"
          + "C 03  Display controller\n\t02  3D controller\n";

  @TempDir Path tmp;
  HealthyH100Host host;
  FakeSysfs sys;
  Path pciIds;

  @BeforeEach
  void setUp() throws IOException {
    host = HealthyH100Host.create(tmp.resolve("host"));
    sys = host.sys();
    pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, PCI_IDS);
  }

  /** The probe as OpenNebula runs it on this host (its synced pci.conf), as oneadmin would. */
  Cli.Result probe() {
    return Cli.run(
        "probe", "--config", sys.root().resolve(CONF).toString(), "--sysfs-root", sys.root().toString(),
        "--pci-ids", pciIds.toString(), "--hwdb", TestHwdb.withoutPciNames().toString());
  }

  /** The three readiness lines, the fixture's root shown as {@code ROOT}; checks they come last and parse. */
  String readiness(Cli.Result r) {
    assertThat(r.status()).isZero();
    String out = r.out();
    int at = out.indexOf("PCI_PASSTHROUGH = ");
    assertThat(at).as(out).isGreaterThanOrEqualTo(0);
    assertThat(out.substring(0, at)).doesNotContain("PCI_PASSTHROUGH");
    // the whole report, vectors and all, is read by oned's grammar
    Map<String, String> attrs = new LinkedHashMap<>();
    for (OneTemplate.Attr a : OneTemplate.parse(out)) {
      if (!a.isVector()) {
        attrs.put(a.name(), a.value());
      }
    }
    assertThat(attrs).containsOnlyKeys("PCI_PASSTHROUGH", "PCI_PASSTHROUGH_ISSUES", "PCI_PASSTHROUGH_BLOCKED");
    return out.substring(at).replace(sys.root().toString(), "ROOT");
  }

  static String lines(String state, String issues, String blocked) {
    return "PCI_PASSTHROUGH = \"" + state + "\"\nPCI_PASSTHROUGH_ISSUES = \"" + issues + "\"\nPCI_PASSTHROUGH_BLOCKED = \"" + blocked + "\"\n";
  }

  @Test
  void theHealthyH100HostIsReady() {
    Cli.Result r = probe();

    assertThat(readiness(r)).isEqualTo(lines("READY", "", ""));
    assertThat(OneTemplate.vectors(r.out(), "PCI")).extracting(v -> v.get("SHORT_ADDRESS")).containsExactly("e1:00.0");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void aGpuHeldByARunningVmCountsAsPassable() throws IOException {
    // what a running VM leaves: the hook's journal of its domain, the GPU on vfio-pci (as it is here)
    sys.write("run/one-pci/one-7.journal", "domain\tone-7\n" + GPU + "\t13\tbound\tnvidia\t-\n");
    assertThat(onepci.vfio.Journal.all(sys.paths().vfioState()))
        .singleElement().satisfies(j -> assertThat(j.find(onepci.sysfs.PciAddress.parse(GPU))).isPresent());

    assertThat(readiness(probe())).isEqualTo(lines("READY", "", ""));
  }

  @Test
  void withTheIommuOffTheHostIsNotReadyAndTheGpuBlocked() {
    sys.delete("sys/kernel/iommu_groups/13").delete("sys/kernel/iommu_groups/40").delete("sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + GPU + "/iommu_group");
    sys.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet\n");

    assertThat(readiness(probe()))
        .isEqualTo(lines(
            "NOT_READY",
            "iommu: ROOT/sys/kernel/iommu_groups is empty: the IOMMU is off. Boot the kernel with intel_iommu=on and enable Intel VT-d in the firmware setup"
                + " | kernel-cmdline: ROOT/proc/cmdline lacks intel_iommu=on, which turns on Intel VT-d"
                + " | passable e1:00.0: not passable, although the probe offers it to VMs (a VM given it would not start): the IOMMU is off (no IOMMU groups on this host)",
            "e1:00.0"));
  }

  @Test
  void aGpuWhoseGroupHoldsAMountedDisksControllerIsBlockedAndTheHostPartial() {
    FakeSysfs.Device port = sys.device("0000:c0:01.0").id(0x10b5, 0xc010, 0x060400).iommuGroup(14).driver("pcieport");
    HealthyH100Host.h100(sys, "0000:c1:00.0", port, 14);
    FakeSysfs.Device ahci = sys.device("0000:c1:00.1", port).id(0x8086, 0x2922, 0x010601).iommuGroup(14).driver("ahci");
    ahci.block("ata1/host0/target0:0:0/0:0:0:0/block/sdb").file("ata1/host0/target0:0:0/0:0:0:0/block/sdb/dev", "8:16")
        .block("ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1").file("ata1/host0/target0:0:0/0:0:0:0/block/sdb/sdb1/dev", "8:17");
    sys.write("proc/self/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /srv/data xfs rw 0 0\n");
    sys.write("proc/self/mountinfo",
        "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n40 21 8:17 / /srv/data rw,relatime shared:9 - xfs /dev/sdb1 rw\n");

    assertThat(readiness(probe()))
        .isEqualTo(lines(
            "PARTIAL",
            "group-viable c1:00.0: IOMMU group 14 is not viable: 0000:c1:00.1 (8086:2922) holds /dev/sdb1, mounted on /srv/data (in IOMMU group 14 with the requested device)",
            "c1:00.0"));
  }

  @Test
  void vfioPciMissingFromTheRunningKernelsModulesMakesTheHostNotReady() {
    sys.delete("sys/module/vfio_pci");
    sys.write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    sys.write("lib/modules/6.1.0-28-amd64/modules.dep", "kernel/drivers/vfio/vfio.ko.xz: kernel/drivers/iommu/iommufd/iommufd.ko.xz\n");
    sys.write("lib/modules/6.1.0-28-amd64/modules.builtin", "kernel/drivers/pci/pcie/portdrv.ko\n");

    assertThat(readiness(probe()))
        .isEqualTo(lines(
            "NOT_READY",
            "vfio-module: vfio-pci is not loaded (no ROOT/sys/module/vfio_pci) and cannot be: ROOT/lib/modules/6.1.0-28-amd64/modules.dep lists no vfio-pci module for the running kernel",
            ""));
  }

  @Test
  void vfioPciNotLoadedButLoadableIsLeftToTheHook() {
    sys.delete("sys/module/vfio_pci");
    sys.write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    sys.write("lib/modules/6.1.0-28-amd64/modules.dep",
        "kernel/drivers/vfio/vfio.ko.xz: kernel/drivers/iommu/iommufd/iommufd.ko.xz\n"
            + "kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz\n");

    assertThat(readiness(probe())).isEqualTo(lines("READY", "", ""));
  }

  @Test
  void theRunningKernelsModulesGoneMakesTheHostNotReady() {
    sys.delete("sys/module/vfio_pci");
    sys.write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    sys.write("lib/modules/6.1.0-31-amd64/modules.dep", "kernel/drivers/vfio/pci/vfio-pci.ko.xz:\n");

    assertThat(readiness(probe()))
        .isEqualTo(lines(
            "NOT_READY",
            "vfio-module: vfio-pci is not loaded (no ROOT/sys/module/vfio_pci) and cannot be: no ROOT/lib/modules/6.1.0-28-amd64, the running kernel's modules (removed by a kernel upgrade?)",
            ""));
  }

  @Test
  void aHostWithoutAGpuHasNone() {
    sys.delete("sys/bus/pci/devices/" + GPU).delete("sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + GPU)
        .delete("sys/kernel/iommu_groups/13/devices/" + GPU);

    Cli.Result r = probe();

    assertThat(readiness(r)).isEqualTo(lines("NONE", "", ""));
    assertThat(r.out()).doesNotContain("PCI = [");
  }

  @Test
  void aWarningAloneLeavesTheHostReady() {
    // iommu=pt missing and no driverctl override: warnings in doctor, not readiness problems
    sys.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet intel_iommu=on\n");
    sys.delete("etc/driverctl.d/pci-" + GPU);

    assertThat(readiness(probe())).isEqualTo(lines("READY", "", ""));
  }

  @Test
  void whatOneadminCannotReadIsAWarningNotAProblem() {
    // the one udev rule file cannot be read (a folder in its place fails even root's read): doctor
    // warns that it could not read it, and readiness is not held back by what it cannot read
    sys.delete("etc/udev/rules.d/99-one-pci-vfio.rules");
    sys.write("etc/udev/rules.d/99-one-pci-vfio.rules/x", "");

    assertThat(readiness(probe())).isEqualTo(lines("READY", "", ""));
  }

  @Test
  void theConfKeyTurnsTheAttributesOff() {
    sys.write(CONF, ":filter: '10de:*'\n:passthrough_readiness: false\n");

    Cli.Result r = probe();

    assertThat(r.status()).isZero();
    assertThat(r.out()).startsWith("PCI = [\n").doesNotContain("PCI_PASSTHROUGH");
    assertThat(OneTemplate.vectors(r.out(), "PCI")).hasSize(1);
  }

  @Test
  void theHookMissingMakesTheHostNotReady() {
    sys.delete("etc/libvirt/hooks/qemu.d/one-pci");

    assertThat(readiness(probe()))
        .isEqualTo(lines(
            "NOT_READY",
            "libvirt-hook: no ROOT/etc/libvirt/hooks/qemu.d/one-pci: nothing gives a VM's whole IOMMU group to vfio-pci when it starts",
            ""));
  }

  @Test
  void problemsAreJoinedWithTheirQuotesEscaped() {
    sys.delete("etc/libvirt/hooks/qemu.d/one-pci").delete("etc/udev/rules.d/99-one-pci-vfio.rules");

    String out = readiness(probe());

    assertThat(out.lines().toList())
        .element(1).isEqualTo(
            "PCI_PASSTHROUGH_ISSUES = \"udev-rule: no udev rule sets GROUP=\\\"kvm\\\", MODE=\\\"0666\\\" for SUBSYSTEM==\\\"vfio\\\": new vfio device nodes come up"
                + " root-only and QEMU cannot open them | libvirt-hook: no ROOT/etc/libvirt/hooks/qemu.d/one-pci: nothing gives a VM's whole IOMMU group to vfio-pci when it starts\"");
  }

  @Test
  void pastEightProblemsTheRestAreCounted() {
    List<Check> checks = new java.util.ArrayList<>();
    for (int k = 1; k <= 11; k++) {
      checks.add(Check.fail("check" + k, Check.HOST, "problem " + k, "fix " + k));
    }
    checks.add(Check.warn("warned", Check.HOST, "a warning", "fix"));

    Readiness r = Readiness.judge(checks, List.of());

    assertThat(r.issues()).hasSize(9).startsWith("check1: problem 1").endsWith("check8: problem 8", "and 3 more: run 'one-pci doctor' on the host");
    assertThat(r.state()).isEqualTo(Readiness.State.NONE);
  }

  @Test
  void unknownSaysWhyAndBlocksNothing() {
    assertThat(Readiness.unknown("readiness could not be worked out (x \"y\"\\").format())
        .isEqualTo("PCI_PASSTHROUGH = \"UNKNOWN\"\nPCI_PASSTHROUGH_ISSUES = \"readiness could not be worked out (x \\\"y\\\"\"\n"
            + "PCI_PASSTHROUGH_BLOCKED = \"\"\n");
  }
}
