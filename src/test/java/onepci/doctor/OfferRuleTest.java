package onepci.doctor;

import static onepci.testing.HealthyH100Host.GPU;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import onepci.testing.OneTemplate;
import onepci.testing.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "The probe offers it to VMs" means in doctor exactly what the probe prints: one rule
 * ({@link onepci.probe.Offer}), with the filter, {@code :short_address:}, {@code :device_name:},
 * and vGPU parents and PFs with VFs enabled left out.
 */
class OfferRuleTest {

  /** Names for the devices below, so that {@code :device_name:} has something to match. */
  static final String PCI_IDS =
      String.join(
          "\n",
          "10de  NVIDIA Corporation",
          "\t20b5  GA100 [A100 PCIe 80GB]",
          "\t2330  GH100 [H100 SXM5 80GB]",
          "\t22a3  GH100 [H100 NVSwitch]",
          "\t22e8  GH100 High Definition Audio Controller",
          "144d  Samsung Electronics Co Ltd",
          "\ta80a  NVMe SSD Controller PM9A1/PM9A3/980PRO",
          "15b3  Mellanox Technologies",
          "\t101d  MT2892 Family [ConnectX-6 Dx]",
          "\t101e  ConnectX Family mlx5Gen Virtual Function",
          "8086  Intel Corporation",
          "\t7ab0  Alder Lake-S PCH PCI Express Root Port #9",
          "");

  static final String PF = "0000:c1:00.0";
  static final String VGPU_PARENT = "0000:a1:00.0";

  @TempDir Path tmp;

  /**
   * The healthy host and more: the GPU's audio function, an NVSwitch, a ConnectX PF with two VFs
   * enabled and one with SR-IOV off, an A100 split into vGPU VFs, an NVMe drive behind a root
   * port, and a pci.ids under the root.
   */
  HealthyH100Host richHost(String name) {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve(name));
    FakeSysfs s = h.sys();
    s.write("usr/share/misc/pci.ids", PCI_IDS);
    s.device("0000:e1:00.1", h.port()).id(0x10de, 0x22e8, 0x040300).iommuGroup(HealthyH100Host.GROUP).driver("snd_hda_intel");
    s.device("0000:05:00.0").id(0x10de, 0x22a3, 0x068000).iommuGroup(50).driver("nvidia-nvswitch");
    FakeSysfs.Device pf = s.device(PF).id(0x15b3, 0x101d, 0x020000).iommuGroup(60).driver("mlx5_core").sriovPf(16, 2).net("ens6f0np0", "p0");
    for (int v = 0; v < 2; v++) {
      pf.virtfn(v, s.device("0000:c1:00." + (2 + v)).id(0x15b3, 0x101e, 0x020000).iommuGroup(61 + v).driver("mlx5_core"));
    }
    s.device("0000:c1:00.1").id(0x15b3, 0x101d, 0x020000).iommuGroup(63).driver("mlx5_core").sriovPf(16, 0);
    FakeSysfs.Device a100 = s.device(VGPU_PARENT).id(0x10de, 0x20b5, 0x030200).iommuGroup(70).driver("nvidia").sriovPf(20, 2);
    for (int v = 0; v < 2; v++) {
      a100.virtfn(v, s.device("0000:a1:00." + (4 + v)).id(0x10de, 0x20b5, 0x030200).iommuGroup(71 + v).driver("nvidia"));
    }
    FakeSysfs.Device port = s.device("0000:00:1d.0").id(0x8086, 0x7ab0, 0x060400).iommuGroup(80).driver("pcieport");
    s.device("0000:02:00.0", port).id(0x144d, 0xa80a, 0x010802).iommuGroup(81).driver("nvme");
    return h;
  }

  void conf(HealthyH100Host h, String text) {
    h.sys().write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", text);
  }

  static List<Check> doctor(HealthyH100Host h) {
    return Doctor.run(HostState.read(h.sys().paths(), Optional.empty()));
  }

  @Test
  void aPfWithVfsEnabledIsNotExaminedAsOfferedButItsVfsAre() {
    HealthyH100Host h = richHost("pf");
    conf(h, ":filter: '15b3:*'\n");

    List<Check> checks = doctor(h);

    // the PF stays on mlx5_core for its VFs to exist: no advice to bind it to vfio-pci
    assertThat(checks).extracting(Check::subject).doesNotContain(PF);
    assertThat(checks).extracting(Check::fix).doesNotContain("driverctl set-override " + PF + " vfio-pci");
    assertThat(checks).filteredOn(c -> c.name().equals("driver")).extracting(Check::subject, Check::status)
        .containsExactly(
            tuple("0000:05:00.0", Status.WARN), // and NVSwitches (on nvidia-nvswitch here), whatever the filter
            tuple(HealthyH100Host.NIC, Status.WARN),
            tuple("0000:c1:00.1", Status.WARN),
            tuple("0000:c1:00.2", Status.WARN),
            tuple("0000:c1:00.3", Status.WARN),
            tuple(GPU, Status.PASS)); // NVIDIA GPUs are examined whatever the filter
  }

  @Test
  void aGpuLeftOutByDeviceNameIsNotOffered() {
    HealthyH100Host h = richHost("device-name");
    h.gpu().driver("nouveau").driverOverride("(null)");
    h.sys().delete("etc/driverctl.d/pci-" + GPU);
    conf(h, ":filter: '10de:*'\n:device_name: ['NVSwitch']\n");

    Check c = doctor(h).stream().filter(x -> x.name().equals("nvidia-host-driver") && x.subject().equals(GPU)).findFirst().orElseThrow();

    assertThat(c.status()).isEqualTo(Status.WARN);
    assertThat(c.message()).isEqualTo("the GPU is on the host driver nouveau and the probe filter leaves it out: OpenNebula does not offer it");
  }

  @Test
  void aGpuLeftOutByShortAddressIsNotOffered() {
    HealthyH100Host h = richHost("short-address");
    h.gpu().driver("nouveau").driverOverride("(null)");
    conf(h, ":filter: '*:*'\n:short_address: ['05:00.0']\n");

    Check c = doctor(h).stream().filter(x -> x.name().equals("nvidia-host-driver") && x.subject().equals(GPU)).findFirst().orElseThrow();

    assertThat(c.status()).isEqualTo(Status.WARN);
  }

  @Test
  void aVgpuParentIsNotAGpuTheFilterLeavesOut() {
    HealthyH100Host h = richHost("vgpu");
    conf(h, ":filter: '10de:*:0302'\n");

    Check c = doctor(h).stream().filter(x -> x.name().equals("probe-filter")).findFirst().orElseThrow();

    // the parent is left out by the vGPU rule, not by the filter: its VFs are what VMs get
    assertThat(c.status()).isEqualTo(Status.PASS);
    assertThat(c.message())
        .isEqualTo("filter '10de:*:0302' in " + h.sys().root().resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf")
            + " selects every NVIDIA GPU on this host (3)");
  }

  static final List<String> CONFS =
      List.of(
          ":filter: '*:*'\n",
          ":filter: '10de:*'\n",
          ":filter: '10de:*:0302'\n",
          ":filter: '15b3:*,144d:*'\n",
          ":filter: '*:*'\n:short_address: ['e1:00.0', 'c1:00.0', 'c1:00.2', 'a1:00.0', 'a1:00.5', '00:1d.0']\n",
          ":filter: '*:*'\n:device_name: ['H100', 'ConnectX', 'Root Port']\n",
          ":filter: '10de:*'\n:device_name: ['NVSwitch', 'Audio']\n",
          ":filter: '0:0'\n");

  /** The addresses the probe prints for this root and pci.conf, run as OpenNebula runs it. */
  static Set<PciAddress> probed(Path root, Path conf) {
    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--sysfs-root", root.toString());
    assertThat(r.status()).as("probe exit status; stderr: %s", r.err()).isZero();
    return OneTemplate.vectors(r.out(), "PCI").stream().map(v -> PciAddress.parse(v.get("ADDRESS"))).collect(Collectors.toCollection(TreeSet::new));
  }

  static Set<PciAddress> offeredByDoctor(Path root, Path conf) {
    return HostState.read(new HostPaths(root), Optional.of(conf)).devices().stream()
        .filter(HostState.Examined::selected)
        .map(HostState.Examined::address)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void doctorCallsOfferedExactlyWhatTheProbePrintsOnEveryHostAndPciConf() throws IOException {
    List<Path> roots =
        List.of(
            HealthyH100Host.create(tmp.resolve("healthy")).sys().root(),
            richHost("rich").sys().root(),
            Resources.h100GuestRoot(tmp.resolve("capture")));
    int compared = 0;
    int nonEmpty = 0;
    for (Path root : roots) {
      for (int i = 0; i < CONFS.size(); i++) {
        Path conf = tmp.resolve("pci-" + i + ".conf");
        Files.writeString(conf, CONFS.get(i));
        Set<PciAddress> probed = probed(root, conf);
        assertThat(offeredByDoctor(root, conf)).as("%s with %s", root, CONFS.get(i)).containsExactlyElementsOf(probed);
        compared++;
        nonEmpty += probed.isEmpty() ? 0 : 1;
      }
    }
    assertThat(compared).isEqualTo(24);
    assertThat(nonEmpty).as("host and pci.conf pairs where the probe offers something").isGreaterThanOrEqualTo(15);
  }
}
