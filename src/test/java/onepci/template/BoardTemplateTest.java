package onepci.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.HgxHost;
import onepci.testing.OneTemplate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code one-pci template ADDRESS...} and {@code --board}: a whole HGX board in one VM, or a set refused with its reasons. */
class BoardTemplateTest {

  @TempDir Path tmp;
  HgxHost host;
  String root;

  @BeforeEach
  void setUp() {
    host = HgxHost.create(tmp.resolve("host"));
    root = host.root();
  }

  static String pci(String shortAddress) {
    return "PCI = [\n SHORT_ADDRESS = \"" + shortAddress + "\" \n]\n";
  }

  /**
   * The board's template, every line. 8 GPUs of 128 GiB + 32 MiB + 16 MiB and 4 NVSwitches of
   * 32 MiB: 1049088 MiB of 64-bit BARs, above 1 TiB, so a 2 TiB window; above 32 GiB of RAM OVMF
   * aligns it to 2 TiB, so it ends at 4 TiB: 42 address bits. Each node: 56 cores for its 4 GPUs.
   */
  static final String BOARD =
      "# VM template for 12 PCI devices (4 x 10de:22a3, 8 x 10de:2330), written by one-pci template\n"
          + "# as NVIDIA's GPU passthrough guide recommends. Add DISK, NIC and CONTEXT, then:\n"
          + "#   onetemplate create <this file>\n"
          + TemplateCommandTest.PINNED_COMMENT
          + "# NUMA node 0: 56 cores (112 CPUs) for 4 of 4 devices 10de:22a3, 4 of 4 devices 10de:2330; 56 vCPUs with one whole core each.\n"
          + "# NUMA node 1: 56 cores (112 CPUs) for 4 of 4 devices 10de:2330; 56 vCPUs with one whole core each.\n"
          + "# TOPOLOGY: one socket per host NUMA node, 56 cores each; MEMORY 16384 MiB per socket.\n"
          + "# 64-bit BARs total 1049088 MiB, beyond OVMF's default 32 GiB window:\n"
          + "# RAW asks OVMF for a 2097152 MiB window so the guest can map them.\n"
          + "# The window lies above the VM's memory, aligned to its size, and ends at 4096 GiB:\n"
          + "# the guest needs 42 physical address bits. QEMU gives a vCPU 40 unless host-phys-bits is on,\n"
          + "# and OVMF uses the vCPU's count only above 40 and up to 46: give the VM the host's own count\n"
          + "# (libvirt <maxphysaddr mode='passthrough'/>, QEMU host-phys-bits=on), and check the host has\n"
          + "# 42 or more ('address sizes' in /proc/cpuinfo).\n"
          + "\n"
          + "NAME = \"pci-board\"\n"
          + "CPU = \"112\"\n"
          + "VCPU = \"112\"\n"
          + "MEMORY = \"32768\"\n"
          + "OS = [\n ARCH = \"x86_64\" ,\n FIRMWARE = \"UEFI\" ,\n MACHINE = \"q35\" \n]\n"
          + "CPU_MODEL = [\n MODEL = \"host-passthrough\" \n]\n"
          + "TOPOLOGY = [\n PIN_POLICY = \"CORE\" ,\n SOCKETS = \"2\" ,\n CORES = \"56\" ,\n THREADS = \"1\" \n]\n"
          + pci("05:00.0") + pci("06:00.0") + pci("07:00.0") + pci("08:00.0")
          + pci("18:00.0") + pci("2a:00.0") + pci("3a:00.0") + pci("5d:00.0")
          + pci("9a:00.0") + pci("ab:00.0") + pci("ba:00.0") + pci("db:00.0")
          + "RAW = [\n TYPE = \"kvm\" ,\n DATA = \"<qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=2097152'/></qemu:commandline>\" \n]\n"
          + "SCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\"\n";

  @Test
  void theBoardIsEveryOfferedGpuAndEveryNvswitchInOneTemplate() {
    Cli.Result r = Cli.run("template", "--board", "--sysfs-root", root);

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).isEqualTo(BOARD);
    // and oned's grammar reads it: twelve PCI vectors, a two-socket pinned topology
    List<Map<String, String>> pcis = OneTemplate.vectors(r.out(), "PCI");
    assertThat(pcis).hasSize(12);
    assertThat(OneTemplate.vectors(r.out(), "TOPOLOGY")).containsExactly(
        Map.of("PIN_POLICY", "CORE", "SOCKETS", "2", "CORES", "56", "THREADS", "1"));
    assertThat(TemplateCommandTest.value(r.out(), "VCPU")).isEqualTo("112");
  }

  @Test
  void addressesMayComeInAnyOrderAndTwiceAndGiveOnePciEachInAddressOrder() {
    Cli.Result sorted = Cli.run("template", "18:00.0", "9a:00.0", "db:00.0", "--sysfs-root", root);
    Cli.Result shuffled = Cli.run("template", "0000:db:00.0", "18:00.0", "9a:00.0", "0000:18:00.0", "--sysfs-root", root);

    assertThat(sorted.status()).as(sorted.err()).isZero();
    assertThat(shuffled).isEqualTo(sorted);
    String t = sorted.out();
    assertThat(OneTemplate.vectors(t, "PCI")).extracting(m -> m.get("SHORT_ADDRESS")).containsExactly("18:00.0", "9a:00.0", "db:00.0");
    assertThat(TemplateCommandTest.value(t, "NAME")).isEqualTo("pci-18-00-0-and-2-more");
    // node 0: one of its 4 GPUs, a quarter of 56 cores; node 1: two of 4, half; each socket gets the smaller
    assertThat(t).contains(
        "# NUMA node 0: 56 cores (112 CPUs) for 1 of 4 devices 10de:2330; 14 vCPUs with one whole core each.\n"
            + "# NUMA node 1: 56 cores (112 CPUs) for 2 of 4 devices 10de:2330; 14 vCPUs with one whole core each.\n");
    assertThat(OneTemplate.vectors(t, "TOPOLOGY")).containsExactly(Map.of("PIN_POLICY", "CORE", "SOCKETS", "2", "CORES", "14", "THREADS", "1"));
    assertThat(TemplateCommandTest.value(t, "VCPU")).isEqualTo("28");
    // 3 x 131120 MiB needs a 512 GiB window, which ends at 1 TiB: the 40 bits QEMU gives are enough
    assertThat(TemplateCommandTest.single(t, "RAW").get("DATA")).contains("X-PciMmio64Mb,string=524288'");
    assertThat(t).doesNotContain("address bits");
  }

  @Test
  void vcpuMemoryAndPinApplyToTheWholeVm() {
    Cli.Result r = Cli.run("template", "--board", "--sysfs-root", root, "--vcpu", "64", "--memory", "65536", "--pin", "none");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(OneTemplate.vectors(r.out(), "TOPOLOGY")).containsExactly(Map.of("SOCKETS", "2", "CORES", "32", "THREADS", "1"));
    assertThat(TemplateCommandTest.value(r.out(), "VCPU")).isEqualTo("64");
    assertThat(TemplateCommandTest.value(r.out(), "MEMORY")).isEqualTo("131072");
    assertThat(r.out()).contains(TemplateCommandTest.UNPINNED_COMMENT)
        .contains("# NUMA node 1: 56 cores (112 CPUs) for 4 of 4 devices 10de:2330; 32 vCPUs, not pinned.\n")
        .contains("# TOPOLOGY: one socket per host NUMA node, 32 cores each; MEMORY 65536 MiB per socket.\n");
  }

  @Test
  void vcpusThatDoNotSplitOverTheSocketsOrFitTheNodesAreRefused() {
    Cli.Result odd = Cli.run("template", "--board", "--sysfs-root", root, "--vcpu", "113");
    assertThat(odd.status()).isEqualTo(1);
    assertThat(odd.out()).isEmpty();
    assertThat(odd.err()).isEqualTo(
        "one-pci template: --vcpu 113 does not split evenly over the VM's 2 sockets (one per host NUMA node the devices sit on); use a multiple of 2\n");

    Cli.Result big = Cli.run("template", "--board", "--sysfs-root", root, "--vcpu", "114");
    assertThat(big.status()).isEqualTo(1);
    assertThat(big.err()).isEqualTo(
        "one-pci template: --vcpu 114 does not fit: it gives each socket 57 vCPUs, and the CPUs of NUMA node 0 ("
            + host.sys().root().resolve("sys/bus/pci/devices/0000:05:00.0/local_cpulist")
            + ") make 56 cores, and PIN_POLICY CORE gives each vCPU a whole core of that node; use --vcpu 112 or fewer (or --pin none)\n");
  }

  @Test
  void nvswitchesTheProbeDoesNotOfferAreRefusedEachByName() {
    host.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*:0302'\n");
    Path conf = host.sys().root().resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf");

    Cli.Result r = Cli.run("template", "--board", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    StringBuilder expected = new StringBuilder();
    for (String sw : HgxHost.NVSWITCHES) {
      expected.append("one-pci template: ").append(sw).append(" (10de:22a3) is not offered by the probe: ").append(conf)
          .append(" leaves it out, so OpenNebula cannot give it to a VM; fix: add it to :filter: (such as '10de:22a3')")
          .append(" in the front-end's pci.conf, then onehost sync -f\n");
    }
    assertThat(r.err()).isEqualTo(expected.toString());
  }

  @Test
  void aDeviceTheHostRunsOnIsNotPassableAndIsRefusedWithTheEnginesReason() {
    // a ConnectX NIC that carries the default route's interface (bond0), offered by the filter
    host.sys().device("0000:c1:00.0").id(0x15b3, 0x101d, 0x020000).numa(1).localCpus(HgxHost.NODE1_CPUS).iommuGroup(90)
        .driver("mlx5_core").net("bond0", null);
    host.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*,15b3:*'\n");

    Cli.Result r = Cli.run("template", "18:00.0", "c1:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo(
        "one-pci template: 0000:c1:00.0 (15b3:101d) is not passable: carries bond0, the interface of the host's default route; "
            + "fix: move the default route to another interface, or pass through another NIC\n");
  }

  @Test
  void twoDevicesOfOneIommuGroupGivenSeparatelyAreRefusedNamingTheGroupAndBoth() {
    host.sys().device("0000:18:00.1", host.gpus().get(0)).id(0x10de, 0x22e8, 0x040300).numa(0).localCpus(HgxHost.NODE0_CPUS)
        .iommuGroup(host.gpuGroup(0)).driver("vfio-pci");

    Cli.Result r = Cli.run("template", "18:00.1", "18:00.0", "2a:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo(
        "one-pci template: 0000:18:00.0 and 0000:18:00.1 are in one IOMMU group, " + host.gpuGroup(0)
            + ", given separately: the VM's device takes its whole group with it; give only one of them\n");
  }

  @Test
  void anAddressNotOnTheHostIsRefusedAmongOthers() {
    Cli.Result r = Cli.run("template", "18:00.0", "77:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(
        "one-pci template: no PCI device 0000:77:00.0 on this host (" + host.sys().root().resolve("sys/bus/pci/devices/0000:77:00.0")
            + " does not exist); list the addresses with: one-pci probe --filter '*:*'\n");
  }

  @Test
  void withoutTheProbesConfigurationNothingSaysWhatIsOffered() {
    Path conf = host.sys().root().resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf");
    host.sys().delete("var/tmp/one/etc/im/kvm-probes.d/pci.conf");

    Cli.Result r = Cli.run("template", "--board", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(
        "one-pci template: cannot tell which devices OpenNebula offers: " + conf
            + " does not exist; run onehost sync -f on the front-end, or name the probe's pci.conf with --config FILE\n");

    // --config names another
    Path other = tmp.resolve("pci.conf");
    host.sys().write("../pci.conf", ":filter: '10de:*'\n");
    assertThat(Cli.run("template", "--board", "--sysfs-root", root, "--config", other.toString()).out()).isEqualTo(BOARD);
  }

  @Test
  void aBoardWithoutAnOfferedGpuIsRefused() {
    host.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '15b3:*'\n");

    Cli.Result r = Cli.run("template", "--board", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(
        "one-pci template: --board: the probe offers no NVIDIA GPU on this host ("
            + host.sys().root().resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf") + "); check with: one-pci doctor\n");
  }
}
