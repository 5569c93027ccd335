package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.OneTemplate;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's rules, each on a kernel-shaped tree, asserting what OpenNebula receives. */
class PciProbeTest {

  static final String PCI_IDS =
      String.join(
          "\n",
          "# a small database for these tests",
          "10de  NVIDIA Corporation",
          "\t20b5  GA100 [A100 PCIe 80GB]",
          "\t2330  GH100 [H100 SXM5 80GB]",
          "\t22a3  GH100 [H100 NVSwitch]",
          "\t22e8  GH100 High Definition Audio Controller",
          "1234  Quoting \"Test\" Labs",
          "\t0001  Widget \"Pro\" 2\\",
          "\t0002  Nasty ]]> name",
          "15b3  Mellanox Technologies",
          "\t101d  MT2892 Family [ConnectX-6 Dx]",
          "\t101e  ConnectX Family mlx5Gen Virtual Function",
          "\t\t15b3 0001  a subsystem line that must not be taken for a device",
          "8086  Intel Corporation",
          "\t1572  Ethernet Controller X710 for 10GbE SFP+",
          "C 02  Network controller",
          "\t00  Ethernet controller",
          "C 03  Display controller",
          "\t00  VGA compatible controller",
          "\t02  3D controller",
          "\t\t00  a prog-if line",
          "C 04  Multimedia controller",
          "\t03  Audio device",
          "C 06  Bridge",
          "\t04  PCI bridge",
          "C 0c  Serial bus controller",
          "");

  @TempDir Path tmp;
  FakeSysfs sys;
  Path pciIds;

  @BeforeEach
  void setUp() throws IOException {
    sys = FakeSysfs.create(tmp.resolve("host"));
    pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, PCI_IDS);
  }

  Cli.Result probe(String conf) {
    try {
      Path file = tmp.resolve("pci.conf");
      Files.writeString(file, conf);
      return Cli.run(
          "probe", "--config", file.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString(),
          "--hwdb", TestHwdb.withoutPciNames().toString());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static List<Map<String, String>> vectors(Cli.Result r) {
    assertThat(r.status()).as("exit status; stderr: %s", r.err()).isZero();
    return OneTemplate.vectors(r.out(), "PCI");
  }

  static List<String> addresses(Cli.Result r) {
    return vectors(r).stream().map(v -> v.get("SHORT_ADDRESS")).toList();
  }

  FakeSysfs.Device h100(String address) {
    return sys.device(address).id(0x10de, 0x2330, 0x030200).subsystem(0x10de, 0x16c1);
  }

  @Test
  void aGpuIsPrintedInTheStockFormatFollowedByWhatPassthroughNeeds() {
    h100("0000:e1:00.0").numa(1).iommuGroup(85).driver("vfio-pci").localCpus("32-63,96-127").pcieLink("32.0 GT/s PCIe", 16);

    // the vectors alone: the readiness attributes that follow them are ReadinessTest's
    Cli.Result r = probe(":filter: '10de:*'\n:passthrough_readiness: false\n");

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .isEqualTo(
            String.join(
                "\n",
                "PCI = [",
                " TYPE = \"10de:2330:0302\" ,",
                " VENDOR = \"10de\" ,",
                " VENDOR_NAME = \"NVIDIA Corporation\" ,",
                " DEVICE = \"2330\" ,",
                " CLASS = \"0302\" ,",
                " CLASS_NAME = \"3D controller\" ,",
                " ADDRESS = \"0000:e1:00:0\" ,",
                " SHORT_ADDRESS = \"e1:00.0\" ,",
                " DOMAIN = \"0000\" ,",
                " BUS = \"e1\" ,",
                " SLOT = \"00\" ,",
                " FUNCTION = \"0\" ,",
                " NUMA_NODE = \"1\" ,",
                " IFNAME = \"-\" ,",
                " SRIOV = \"no\" ,",
                " DEVICE_NAME = \"NVIDIA Corporation GH100 [H100 SXM5 80GB]\" ,",
                " IOMMU_GROUP = \"85\" ,",
                " SUBSYSTEM_VENDOR = \"10de\" ,",
                " SUBSYSTEM_DEVICE = \"16c1\" ,",
                " LOCAL_CPUS = \"32-63,96-127\" ,",
                " MAX_LINK_SPEED = \"32.0 GT/s PCIe\" ,",
                " MAX_LINK_WIDTH = \"16\" ",
                "]",
                ""));
  }

  @Test
  void devicesAreSortedByAddressAndListedOnceWhenFiltersOverlap() {
    h100("0000:e1:00.0");
    h100("0000:41:00.0");
    sys.device("0000:41:00.1").id(0x10de, 0x22e8, 0x040300);
    h100("0000:0a:00.0");

    Cli.Result r = probe(":filter:\n  - '10de:*'\n  - '10de:2330:0302, *:2330'\n  - '10de::0403'\n");

    assertThat(addresses(r)).containsExactly("0a:00.0", "41:00.0", "41:00.1", "e1:00.0");
  }

  @Test
  void aDomainOtherThanZeroIsPartOfEveryAddress() {
    h100("10000:01:00.0");

    Map<String, String> v = vectors(probe(":filter: '10de:*'\n")).get(0);

    assertThat(v)
        .containsEntry("ADDRESS", "10000:01:00:0")
        .containsEntry("SHORT_ADDRESS", "10000:01:00.0")
        .containsEntry("DOMAIN", "10000")
        .containsEntry("BUS", "01")
        .containsEntry("SLOT", "00")
        .containsEntry("FUNCTION", "0");
  }

  @Test
  void numaNodeIsADashWhenTheKernelDoesNotKnowIt() {
    h100("0000:01:00.0").numa(-1);
    h100("0000:02:00.0").numa(0);
    h100("0000:03:00.0").file("numa_node", "3");
    Path missing = sys.device("0000:04:00.0").id(0x10de, 0x2330, 0x030200).dir().resolve("numa_node");
    try {
      Files.delete(missing);
    } catch (IOException e) {
      throw new AssertionError(e);
    }

    assertThat(vectors(probe(":filter: '10de:*'\n")))
        .extracting(v -> v.get("NUMA_NODE"))
        .containsExactly("-", "0", "3", "-");
  }

  @Test
  void iommuGroupIsADashWithoutAnIommu() {
    h100("0000:01:00.0");
    h100("0000:02:00.0").iommuGroup(0);

    assertThat(vectors(probe(":filter: '10de:*'\n"))).extracting(v -> v.get("IOMMU_GROUP")).containsExactly("-", "0");
  }

  @Test
  void namesMissingFromTheDatabaseAreTheWordsLspciUses() {
    sys.device("0000:01:00.0").id(0xabcd, 0x0001, 0x0d7700);
    sys.device("0000:02:00.0").id(0x10de, 0x9999, 0x0c0800);
    sys.device("0000:03:00.0").id(0x8086, 0x1572, 0x0c0330);

    List<Map<String, String>> v = vectors(probe(":filter: '*:*'\n"));

    assertThat(v.get(0)).containsEntry("VENDOR_NAME", "Vendor").containsEntry("DEVICE_NAME", "Device").containsEntry("CLASS_NAME", "Class");
    assertThat(v.get(1)).containsEntry("CLASS_NAME", "Serial bus controller").containsEntry("DEVICE_NAME", "NVIDIA Corporation Device");
    assertThat(v.get(2)).containsEntry("CLASS_NAME", "Serial bus controller").containsEntry("DEVICE_NAME", "Ethernet Controller X710 for 10GbE SFP+");
  }

  @Test
  void namesWithQuotesABackslashOrCdataEndStayParseable() {
    sys.device("0000:01:00.0").id(0x1234, 0x0001, 0x020000);
    sys.device("0000:02:00.0").id(0x1234, 0x0002, 0x020000);

    Cli.Result r = probe(":filter: '1234:*'\n");

    assertThat(r.out())
        .contains(" VENDOR_NAME = \"Quoting \\\"Test\\\" Labs\" ,\n")
        .contains(" DEVICE_NAME = \"Widget \\\"Pro\\\" 2\" ")
        .doesNotContain("]]>");
    List<Map<String, String>> v = vectors(r);
    assertThat(v.get(0)).containsEntry("VENDOR_NAME", "Quoting \"Test\" Labs").containsEntry("DEVICE_NAME", "Widget \"Pro\" 2");
    assertThat(v.get(1)).containsEntry("DEVICE_NAME", "Nasty ]] > name");
  }

  @Test
  void theDatabaseMayBeGzipped() throws IOException {
    Path gz = tmp.resolve("pci.ids.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(PCI_IDS.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    h100("0000:01:00.0");
    Files.writeString(tmp.resolve("pci.conf"), ":filter: '10de:*'\n");

    Cli.Result r = Cli.run("probe", "--config", tmp.resolve("pci.conf").toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", gz.toString());

    assertThat(vectors(r).get(0)).containsEntry("DEVICE_NAME", "NVIDIA Corporation GH100 [H100 SXM5 80GB]");
  }

  @Test
  void theDatabaseIsFoundUnderTheRootFirst() throws IOException {
    sys.write("usr/share/hwdata/pci.ids", "10de  Root's Own NVIDIA\n\t2330  Root's H100\nC 03  Display controller\n\t02  3D controller\n");
    h100("0000:01:00.0");
    Files.writeString(tmp.resolve("pci.conf"), ":filter: '10de:*'\n");

    Cli.Result r = Cli.run("probe", "--config", tmp.resolve("pci.conf").toString(), "--sysfs-root", sys.root().toString());

    assertThat(vectors(r).get(0)).containsEntry("DEVICE_NAME", "Root's Own NVIDIA Root's H100");
  }

  @Nested
  class SrIov {

    @Test
    void aPhysicalFunctionWithoutEnabledVfsIsReportedWithItsCount() {
      sys.device("0000:3b:00.0").id(0x15b3, 0x101d, 0x020000).sriovPf(8, 0).net("ens1f0np0", null);

      Map<String, String> v = vectors(probe(":filter: '15b3:*'\n")).get(0);

      assertThat(v).containsEntry("SRIOV", "pf").containsEntry("SRIOV_NUM", "0").containsEntry("IFNAME", "ens1f0np0");
      assertThat(List.copyOf(v.keySet()).subList(13, 17)).containsExactly("IFNAME", "SRIOV", "SRIOV_NUM", "DEVICE_NAME");
    }

    @Test
    void aPhysicalFunctionWithEnabledVfsIsLeftOutAndItsVfsAreReported() {
      FakeSysfs.Device pf = sys.device("0000:3b:00.0").id(0x15b3, 0x101d, 0x020000).sriovPf(8, 2);
      pf.virtfn(0, sys.device("0000:3b:00.2").id(0x15b3, 0x101e, 0x020000).iommuGroup(40));
      pf.virtfn(1, sys.device("0000:3b:00.3").id(0x15b3, 0x101e, 0x020000).iommuGroup(41));

      List<Map<String, String>> v = vectors(probe(":filter: '15b3:*'\n"));

      assertThat(v).extracting(m -> m.get("SHORT_ADDRESS")).containsExactly("3b:00.2", "3b:00.3");
      assertThat(v.get(0))
          .containsEntry("SRIOV", "vf")
          .containsEntry("DEVICE_NAME", "ConnectX Family mlx5Gen Virtual Function")
          .containsEntry("IOMMU_GROUP", "40")
          .doesNotContainKeys("SRIOV_NUM", "UUID", "PROFILES", "MDEV_MODE", "VMID");
    }

    @Test
    void anNvidiaVfIsAVgpuWithAStableUuidAndItsProfiles() {
      FakeSysfs.Device parent = sys.device("0000:41:00.0").id(0x10de, 0x20b5, 0x030200).sriovPf(16, 16);
      FakeSysfs.Device vf =
          sys.device("0000:41:00.5")
              .id(0x10de, 0x20b5, 0x030200)
              .numa(0)
              .file("nvidia/creatable_vgpu_types", "ID    : vGPU Name\n47    : NVIDIA A100D-4C\n48    : NVIDIA A100D-5C\n\n");
      parent.virtfn(4, vf);

      List<Map<String, String>> v = vectors(probe(":filter: '10de:*'\n"));

      assertThat(v).hasSize(1);
      assertThat(v.get(0))
          .containsEntry("SRIOV", "vf")
          .containsEntry("DEVICE_NAME", "NVIDIA vGPU device")
          .containsEntry("UUID", "f86f1cd5-9929-5b66-bfad-a44c80ccb0c0")
          .containsEntry("PROFILES", "47 (NVIDIA A100D-4C),48 (NVIDIA A100D-5C)")
          .containsEntry("MDEV_MODE", "nvidia");
      assertThat(List.copyOf(v.get(0).keySet()).subList(15, 20))
          .containsExactly("DEVICE_NAME", "UUID", "PROFILES", "MDEV_MODE", "IOMMU_GROUP");
    }

    @Test
    void aLegacyMdevVfTakesItsProfilesFromTheMdevTypes() {
      FakeSysfs.Device parent = sys.device("0000:b1:00.0").id(0x10de, 0x2236, 0x030200).sriovPf(4, 4);
      FakeSysfs.Device vf = sys.device("0000:b1:00.4").id(0x10de, 0x2236, 0x030200).mdevType("nvidia-593").mdevType("nvidia-592").mdevBus();
      parent.virtfn(3, vf);

      Map<String, String> v = vectors(probe(":filter: '10de:*'\n")).get(0);

      assertThat(v)
          .containsEntry("UUID", "0c785a04-3a73-5da8-9596-849244d00810")
          .containsEntry("PROFILES", "nvidia-592,nvidia-593")
          .containsEntry("MDEV_MODE", "legacy");
    }

    @Test
    void anNvidiaDeviceWithVirtualFunctionsIsAVgpuParentAndLeftOut() {
      FakeSysfs.Device parent = sys.device("0000:41:00.0").id(0x10de, 0x20b5, 0x030200);
      parent.virtfn(0, sys.device("0000:41:00.4").id(0x10de, 0x20b5, 0x030200));

      assertThat(addresses(probe(":filter: '10de:*'\n"))).containsExactly("41:00.4");
    }

    @Test
    void otherVendorsCanBeGivenTheNvidiaTreatment() {
      FakeSysfs.Device pf = sys.device("0000:3b:00.0").id(0x15b3, 0x101d, 0x020000);
      pf.virtfn(0, sys.device("0000:3b:00.1").id(0x15b3, 0x101e, 0x020000));

      Map<String, String> v = vectors(probe(":filter: '15b3:*'\n:nvidia_vendors: ['10de', '15b3']\n")).get(0);

      assertThat(v).containsEntry("SHORT_ADDRESS", "3b:00.1").containsEntry("DEVICE_NAME", "NVIDIA vGPU device").containsKey("UUID");
    }

    @Test
    void withoutTheNvidiaTreatmentAnNvidiaGpuIsNamedLikeAnyDevice() {
      h100("0000:01:00.0");

      Map<String, String> v = vectors(probe(":filter: '10de:*'\n:nvidia_vendors: []\n")).get(0);

      assertThat(v).containsEntry("DEVICE_NAME", "GH100 [H100 SXM5 80GB]");
    }
  }

  @Nested
  class InterfaceNames {

    @Test
    void theDevicesNetFolderNamesIt() {
      sys.device("0000:3b:00.0").id(0x8086, 0x1572, 0x020000).net("enp59s0f0", null);

      assertThat(vectors(probe(":filter: '8086:*'\n")).get(0)).containsEntry("IFNAME", "enp59s0f0");
    }

    @Test
    void aNameFoundInSysfsIsCachedForWhenTheDeviceMovesToVfio() throws IOException {
      FakeSysfs.Device nic = sys.device("0000:3b:00.0").id(0x8086, 0x1572, 0x020000).net("enp59s0f0", null);
      probe(":filter: '8086:*'\n");

      assertThat(sys.root().resolve("var/tmp/one_db/pci_net_names/0000:3b:00.0")).hasContent("enp59s0f0");

      deleteTree(nic.dir().resolve("net"));
      assertThat(vectors(probe(":filter: '8086:*'\n")).get(0)).containsEntry("IFNAME", "enp59s0f0");
    }

    @Test
    void theCacheComesBeforeSysfsAndTheUdevRulesBeforeBoth() {
      sys.device("0000:3b:00.0").id(0x8086, 0x1572, 0x020000).net("enp59s0f0", null);
      sys.device("0000:3b:00.1").id(0x8086, 0x1572, 0x020000).net("enp59s0f1", null);
      sys.netNameCache("0000:3b:00.0", "cached0").netNameCache("0000:3b:00.1", "cached1");
      sys.udevRename("0000:3b:00.1", "uplink1");

      assertThat(vectors(probe(":filter: '8086:*'\n"))).extracting(v -> v.get("IFNAME")).containsExactly("cached0", "uplink1");
    }

    @Test
    void aSwitchdevPfIsNamedByItsPhysicalPortNotByARepresentor() {
      sys.device("0000:3b:00.0").id(0x15b3, 0x101d, 0x020000)
          .net("eth_rep0", "pf0vf0").net("eth_rep1", "pf0vf1").net("ens1f0np0", "p0");
      sys.device("0000:3b:00.1").id(0x15b3, 0x101d, 0x020000).net("eth_rep2", "pf1vf0").net("eth_rep3", "pf1vf1");

      assertThat(vectors(probe(":filter: '15b3:*'\n"))).extracting(v -> v.get("IFNAME")).containsExactly("ens1f0np0", "-");
    }
  }

  @Nested
  class ConfigurationRules {

    @Test
    void shortAddressesKeepOnlyTheDevicesListed() {
      h100("0000:07:00.0");
      h100("0000:08:00.0");
      h100("0001:07:00.0");

      assertThat(addresses(probe(":filter: '10de:*'\n:short_address: ['08:00.0', '0001:07:00.0']\n")))
          .containsExactly("08:00.0", "0001:07:00.0");
    }

    @Test
    void deviceNamesAreCaseInsensitiveRegularExpressionsOnTheDatabaseName() {
      h100("0000:07:00.0");
      sys.device("0000:08:00.0").id(0x10de, 0x20b5, 0x030200);
      sys.device("0000:09:00.0").id(0x10de, 0x22a3, 0x068000);

      assertThat(addresses(probe(":filter: '10de:*'\n:device_name:\n  - 'h100 sxm'\n  - '^GA1\\d\\d '\n")))
          .containsExactly("07:00.0", "08:00.0");
    }

    @Test
    void keysWithoutTheLeadingColonWork() {
      h100("0000:07:00.0");
      h100("0000:08:00.0");

      assertThat(addresses(probe("filter: '10de:*'\nshort_address:\n  - '08:00.0'\n"))).containsExactly("08:00.0");
    }

    @Test
    void theShippedDefaultReportsNothing() {
      h100("0000:07:00.0");

      Cli.Result r = probe(":filter: '0:0'\n:short_address: []\n");

      assertThat(r.status()).isZero();
      // no device, and so no passthrough to judge
      assertThat(r.out()).doesNotContain("PCI = [").startsWith("PCI_PASSTHROUGH = \"NONE\"\n").endsWith("PCI_PASSTHROUGH_BLOCKED = \"\"\n");
    }

    @Test
    void anEmptyFilterValueMeansEveryDeviceAsLspciWithoutDashD() {
      h100("0000:07:00.0");
      sys.device("0000:00:1f.0").id(0x8086, 0x1572, 0x060100);

      assertThat(addresses(probe(":filter:\n"))).containsExactly("00:1f.0", "07:00.0");
    }

    @Test
    void aFilterOnClassAndProgIfMatchesLikeLspci() {
      sys.device("0000:00:14.0").id(0x8086, 0x1572, 0x0c0330);
      sys.device("0000:00:14.1").id(0x8086, 0x1572, 0x0c0320);

      assertThat(addresses(probe(":filter: '8086::0c03:30'\n"))).containsExactly("00:14.0");
      assertThat(addresses(probe(":filter: ':*:0c03'\n"))).containsExactly("00:14.0", "00:14.1");
    }
  }

  @Nested
  class Failures {

    @Test
    void aDeviceThatCannotBeReadIsSkippedWithAWarningAndTheRestReported() throws IOException {
      h100("0000:07:00.0");
      FakeSysfs.Device broken = h100("0000:08:00.0");
      Files.delete(broken.dir().resolve("class"));
      h100("0000:09:00.0");

      Cli.Result r = probe(":filter: '10de:*'\n");

      assertThat(r.status()).isZero();
      assertThat(addresses(r)).containsExactly("07:00.0", "09:00.0");
      assertThat(r.err()).isEqualTo("one-pci probe: warning: skipped 0000:08:00.0: class is missing (the device vanished mid-scan?)\n");
    }

    @Test
    void aDeviceLinkThatPointsNowhereIsSkipped() throws IOException {
      h100("0000:07:00.0");
      Files.createSymbolicLink(sys.root().resolve("sys/bus/pci/devices/0000:08:00.0"), Path.of("../../../devices/pci0000:08/gone"));

      Cli.Result r = probe(":filter: '*:*'\n");

      assertThat(r.status()).isZero();
      assertThat(addresses(r)).containsExactly("07:00.0");
      assertThat(r.err()).contains("skipped 0000:08:00.0");
    }

    @Test
    void withoutTheDeviceListTheProbeFailsRatherThanReportNoDevice() throws IOException {
      deleteTree(sys.root().resolve("sys/bus/pci/devices"));

      Cli.Result r = probe(":filter: '10de:*'\n");

      assertThat(r.status()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err())
          .isEqualTo(
              "one-pci probe: " + sys.root().resolve("sys/bus/pci/devices")
                  + ": no such directory (--sysfs-root DIR names a folder standing in for /, holding sys/bus/pci/devices)\n");
    }

    @Test
    void neverVmidAndNeverUuidForPlainPassthroughDevices() {
      h100("0000:07:00.0");
      sys.device("0000:3b:00.0").id(0x15b3, 0x101d, 0x020000).sriovPf(8, 0);

      assertThat(vectors(probe(":filter: '*:*'\n"))).allSatisfy(v -> assertThat(v).doesNotContainKeys("VMID", "UUID"));
    }
  }

  static void deleteTree(Path p) throws IOException {
    try (var s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
