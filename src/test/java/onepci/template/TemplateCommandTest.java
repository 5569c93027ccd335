package onepci.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.HealthyH100Host;
import onepci.testing.OneTemplate;
import onepci.testing.Resources;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code one-pci template}: what it prints parses as oned parses it and holds the guide's settings. */
class TemplateCommandTest {

  @TempDir Path tmp;
  HealthyH100Host host;
  String root;

  @BeforeEach
  void setUp() {
    host = HealthyH100Host.create(tmp.resolve("host"));
    root = host.sys().root().toString();
  }

  static Map<String, String> single(String template, String name) {
    List<Map<String, String>> v = OneTemplate.vectors(template, name);
    assertThat(v).as(name).hasSize(1);
    return v.get(0);
  }

  static String value(String template, String name) {
    return OneTemplate.parse(template).stream()
        .filter(a -> a.name().equals(name) && !a.isVector())
        .map(OneTemplate.Attr::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name));
  }

  @Test
  void theH100sTemplateHoldsTheGuidesSettings() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    String t = r.out();
    assertThat(single(t, "OS")).isEqualTo(Map.of("ARCH", "x86_64", "FIRMWARE", "UEFI", "MACHINE", "q35"));
    assertThat(single(t, "OS").keySet()).containsExactly("ARCH", "FIRMWARE", "MACHINE");
    assertThat(single(t, "CPU_MODEL")).isEqualTo(Map.of("MODEL", "host-passthrough"));
    assertThat(single(t, "PCI")).isEqualTo(Map.of("SHORT_ADDRESS", "e1:00.0"));
    // node 1 has 8 cores (16 CPUs with their hyper-threads) and this one H100
    Map<String, String> topology = single(t, "TOPOLOGY");
    assertThat(topology.keySet()).containsExactly("PIN_POLICY", "SOCKETS", "CORES", "THREADS");
    assertThat(topology).containsEntry("PIN_POLICY", "CORE").containsEntry("SOCKETS", "1").containsEntry("CORES", "8").containsEntry("THREADS", "1");
    assertThat(value(t, "VCPU")).isEqualTo("8");
    assertThat(value(t, "CPU")).isEqualTo("8");
    assertThat(value(t, "MEMORY")).isEqualTo("16384");
    assertThat(value(t, "NAME")).isEqualTo("pci-e1-00-0");
    // 128 GiB + 32 MiB of 64-bit BARs: OVMF needs a 256 GiB window
    Map<String, String> raw = single(t, "RAW");
    assertThat(raw).containsEntry("TYPE", "kvm");
    assertThat(raw.get("DATA"))
        .isEqualTo("<qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=262144'/></qemu:commandline>");
    assertThat(t).contains("# NUMA node 1: 8 cores (16 CPUs) for 1 device 10de:2330; VCPU 8 with one whole core each.\n");
  }

  /** What OpenNebula does with TOPOLOGY/PIN_POLICY (VirtualMachine::is_pinned, automatic requirements). */
  static final String PINNED_COMMENT =
      "# PIN_POLICY = \"CORE\" pins each vCPU to a whole core. A VM with a PIN_POLICY gets\n"
          + "# (PIN_POLICY = PINNED) in its AUTOMATIC_REQUIREMENTS: it stays PENDING until a host has\n"
          + "# PIN_POLICY = \"PINNED\" in its template (onehost update <host>), and a PINNED host then\n"
          + "# takes only pinned VMs (every other VM gets !(PIN_POLICY = PINNED)). Unpinned: --pin none.\n";

  static final String UNPINNED_COMMENT =
      "# No PIN_POLICY (--pin none): OpenNebula adds !(PIN_POLICY = PINNED) to this VM's\n"
          + "# AUTOMATIC_REQUIREMENTS, so it runs only on hosts that are not PINNED, and its vCPUs float\n"
          + "# over all the host's CPUs rather than the device's NUMA node.\n";

  @Test
  void byDefaultEachVcpuIsPinnedToACoreAndTheCommentSaysWhatOpenNebulaThenRequires() {
    Cli.Result implicit = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root);
    Cli.Result core = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--pin", "core");

    assertThat(core).isEqualTo(implicit);
    assertThat(core.status()).isZero();
    Map<String, String> topology = single(core.out(), "TOPOLOGY");
    assertThat(topology.keySet()).containsExactly("PIN_POLICY", "SOCKETS", "CORES", "THREADS");
    assertThat(topology).containsEntry("PIN_POLICY", "CORE").containsEntry("CORES", "8");
    assertThat(core.out()).contains("#   onetemplate create <this file>\n" + PINNED_COMMENT + "# NUMA node 1: ");
    assertThat(core.out()).doesNotContain("No PIN_POLICY");
  }

  @Test
  void pinNoneLeavesPinPolicyOutAndKeepsATopologyOpenNebulaAccepts() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--pin", "none");

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    Map<String, String> topology = single(r.out(), "TOPOLOGY");
    assertThat(topology.keySet()).containsExactly("SOCKETS", "CORES", "THREADS");
    // OpenNebula refuses an unpinned TOPOLOGY without all three, or whose product is not VCPU
    int product = Integer.parseInt(topology.get("SOCKETS")) * Integer.parseInt(topology.get("CORES")) * Integer.parseInt(topology.get("THREADS"));
    assertThat(product).isEqualTo(Integer.parseInt(value(r.out(), "VCPU"))).isEqualTo(8);
    assertThat(r.out()).contains("#   onetemplate create <this file>\n" + UNPINNED_COMMENT + "# NUMA node 1: ");
    assertThat(r.out()).contains("; VCPU 8, not pinned.\n").doesNotContain("PIN_POLICY = \"CORE\"").doesNotContain("whole core each");
  }

  @Test
  void unpinnedVcpusMayOutnumberTheNodesCores() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--pin", "none", "--vcpu", "12");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(value(r.out(), "VCPU")).isEqualTo("12");
    assertThat(single(r.out(), "TOPOLOGY")).containsEntry("CORES", "12");
  }

  @Test
  void anUnknownPinPolicyIsAUsageError() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--pin", "thread");

    assertThat(r.status()).isEqualTo(64);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci template: --pin takes core or none, not 'thread'\n"
                + "usage: one-pci template ADDRESS...|--board [--sysfs-root DIR] [--config FILE] [--vcpu N] [--memory MB] [--pin core|none]\n");
  }

  @Test
  void gpusSharingANodeShareItsCores() {
    HealthyH100Host.h100(host.sys(), "0000:e2:00.0", host.port(), 14).driver("vfio-pci");
    // the same model on the other node does not share these cores
    HealthyH100Host.h100(host.sys(), "0000:41:00.0", host.port(), 15).numa(0).localCpus("0-7,16-23");

    Cli.Result r = Cli.run("template", "e1:00.0", "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(value(r.out(), "VCPU")).isEqualTo("4");
    assertThat(single(r.out(), "TOPOLOGY")).containsEntry("CORES", "4");
    assertThat(r.out()).contains("# NUMA node 1: 8 cores (16 CPUs) for 2 devices 10de:2330; VCPU 4 with one whole core each.\n");
  }

  @Test
  void vcpuAndMemoryComeFromTheOptions() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--vcpu", "6", "--memory", "65536");

    assertThat(r.status()).isZero();
    assertThat(value(r.out(), "VCPU")).isEqualTo("6");
    assertThat(value(r.out(), "CPU")).isEqualTo("6");
    assertThat(value(r.out(), "MEMORY")).isEqualTo("65536");
    assertThat(single(r.out(), "TOPOLOGY")).containsEntry("CORES", "6");
  }

  @Test
  void moreVcpusThanTheNodeHasCoresIsRefused() {
    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--vcpu", "9");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci template: --vcpu 9 does not fit: the CPUs local to 0000:e1:00.0 ("
                + host.sys().root().resolve("sys/bus/pci/devices/0000:e1:00.0/local_cpulist")
                + ") make 8 cores, and PIN_POLICY CORE gives each vCPU a whole core of that node; use --vcpu 8 or fewer (or --pin none)\n");
  }

  @Test
  void aDeviceWithSmallBarsGetsNoRaw() {
    host.nic().file("resource", "0x00000000f8000000 0x00000000f9ffffff 0x000000000014220c\n");

    Cli.Result r = Cli.run("template", HealthyH100Host.NIC, "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(OneTemplate.parse(r.out())).extracting(OneTemplate.Attr::name)
        .containsExactly("NAME", "CPU", "VCPU", "MEMORY", "OS", "CPU_MODEL", "TOPOLOGY", "PCI", "SCHED_REQUIREMENTS");
    assertThat(single(r.out(), "PCI")).containsEntry("SHORT_ADDRESS", "3b:00.0");
    assertThat(value(r.out(), "VCPU")).isEqualTo("8");
  }

  @Test
  void theNodeCpulistServesWhenTheDeviceHasNoLocalCpulist() {
    host.sys().delete("sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + HealthyH100Host.GPU + "/local_cpulist");
    // a node list unlike the device's old one, so that reading the wrong file shows
    host.sys().write("sys/devices/system/node/node1/cpulist", "8-11,24-27\n");

    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(value(r.out(), "VCPU")).isEqualTo("4");
  }

  @Test
  void withoutAnyCpuInformationTheVcpuCountMustBeGiven() {
    host.gpu().numa(-1);
    host.sys().delete("sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + HealthyH100Host.GPU + "/local_cpulist");

    Cli.Result r = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("one-pci template: cannot size the VM: 0000:e1:00.0 has no local_cpulist and no NUMA node in sysfs; give the vCPU count with --vcpu N\n");

    Cli.Result given = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--vcpu", "12");
    assertThat(given.status()).isZero();
    assertThat(value(given.out(), "VCPU")).isEqualTo("12");
  }

  @Test
  void anUnknownAddressFailsAndSaysHowToListAddresses() {
    Cli.Result r = Cli.run("template", "0000:99:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci template: no PCI device 0000:99:00.0 on this host ("
                + host.sys().root().resolve("sys/bus/pci/devices/0000:99:00.0")
                + " does not exist); list the addresses with: one-pci probe --filter '*:*'\n");
  }

  @Test
  void wrongArgumentsAreUsageErrors() {
    assertThat(Cli.run("template").err()).startsWith("one-pci template: the PCI address of the device is missing (such as 0000:e1:00.0)\n");
    assertThat(Cli.run("template").status()).isEqualTo(64);
    Cli.Result bad = Cli.run("template", "gpu0");
    assertThat(bad.status()).isEqualTo(64);
    assertThat(bad.err()).startsWith("one-pci template: 'gpu0' is not a PCI address (expected DDDD:BB:SS.F, such as 0000:e1:00.0)\n");
    Cli.Result zero = Cli.run("template", HealthyH100Host.GPU, "--vcpu", "0");
    assertThat(zero.status()).isEqualTo(64);
    assertThat(zero.err()).startsWith("one-pci template: --vcpu needs a whole number above 0, not '0'\n");
    Cli.Result both = Cli.run("template", "--board", "e2:00.0");
    assertThat(both.status()).isEqualTo(64);
    assertThat(both.err())
        .startsWith("one-pci template: --board takes no ADDRESS: it takes every NVIDIA GPU the probe offers and every NVSwitch\n");
    assertThat(Cli.run("template", HealthyH100Host.GPU, "--bored").err()).startsWith("one-pci template: unknown option --bored");
  }

  @Test
  void theRealH100CaptureGetsTheLargeBarWindow() {
    Path capture = Resources.h100GuestRoot(tmp.resolve("capture"));

    Cli.Result r = Cli.run("template", "0000:00:06.0", "--sysfs-root", capture.toString());

    assertThat(r.status()).isZero();
    assertThat(single(r.out(), "RAW").get("DATA")).contains("name=opt/ovmf/X-PciMmio64Mb,string=262144");
    // a guest without NUMA nodes or topology files: its 16 local CPUs count as 16 cores
    assertThat(value(r.out(), "VCPU")).isEqualTo("16");
    assertThat(single(r.out(), "PCI")).containsEntry("SHORT_ADDRESS", "00:06.0");
  }

  @Test
  void theVmWaitsForAReadyHostUnlessAnyHostWillDo() {
    Cli.Result ready = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root);
    Cli.Result any = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--any-host");

    assertThat(ready.status()).isZero();
    assertThat(value(ready.out(), "SCHED_REQUIREMENTS")).isEqualTo("PCI_PASSTHROUGH = READY");
    assertThat(ready.out()).endsWith("]\nSCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\"\n");
    assertThat(any.status()).isZero();
    assertThat(OneTemplate.parse(any.out())).extracting(OneTemplate.Attr::name).doesNotContain("SCHED_REQUIREMENTS");
    assertThat(any.out() + "SCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\"\n").isEqualTo(ready.out());
  }
}
