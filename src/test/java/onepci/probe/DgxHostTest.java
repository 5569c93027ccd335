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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DGX-class host: eight H100 SXM GPUs behind PCIe switches on two NUMA nodes, four NVSwitches,
 * ConnectX-7 NICs (one in switchdev mode with VFs enabled, one with SR-IOV off), an A100 split
 * into vGPU VFs, NVMe drives; under the pci.conf variants administrators write.
 */
class DgxHostTest {

  @TempDir Path tmp;
  FakeSysfs sys;
  Path pciIds;

  @BeforeEach
  void buildHost() throws IOException {
    sys = build(tmp.resolve("host"));
    pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, PciProbeTest.PCI_IDS);
  }

  /** The host, written under {@code root}. */
  static FakeSysfs build(Path root) {
    FakeSysfs sys = FakeSysfs.create(root);
    int group = 10;
    String[] gpuBuses = {"18", "2a", "3a", "5d", "9a", "ab", "ba", "db"};
    for (int i = 0; i < gpuBuses.length; i++) {
      int node = i < 4 ? 0 : 1;
      FakeSysfs.Device port = sys.device("0000:" + gpuBuses[i].charAt(0) + "0:01.0").id(0x8086, 0x352a, 0x060400).numa(node).iommuGroup(group++).driver("pcieport");
      sys.device("0000:" + gpuBuses[i] + ":00.0", port).id(0x10de, 0x2330, 0x030200).subsystem(0x10de, 0x16c1)
          .numa(node).iommuGroup(group++).driver("vfio-pci").localCpus(node == 0 ? "0-55,112-167" : "56-111,168-223");
    }
    for (int i = 0; i < 4; i++) {
      sys.device(String.format("0000:0%d:00.0", 5 + i)).id(0x10de, 0x22a3, 0x068000).numa(0).iommuGroup(group++).driver("nvidia-nvswitch");
    }
    // ConnectX-7 in switchdev mode: VFs enabled, so the PF is left out and its VFs are listed
    FakeSysfs.Device pf = sys.device("0000:c1:00.0").id(0x15b3, 0x101d, 0x020000).numa(1).iommuGroup(group++).driver("mlx5_core")
        .sriovPf(16, 2).net("ens6f0np0", "p0").net("eth_rep0", "pf0vf0").net("eth_rep1", "pf0vf1");
    for (int v = 0; v < 2; v++) {
      pf.virtfn(v, sys.device("0000:c1:00." + (2 + v)).id(0x15b3, 0x101e, 0x020000).numa(1).iommuGroup(group++).driver("mlx5_core").net("ens6f0v" + v, null));
    }
    sys.device("0000:c1:00.1").id(0x15b3, 0x101d, 0x020000).numa(1).iommuGroup(group++).driver("mlx5_core").sriovPf(16, 0).net("ens6f1np1", "p1");
    // A100 in vGPU mode: parent left out, VFs listed with their profiles
    FakeSysfs.Device a100 = sys.device("0000:e1:00.0").id(0x10de, 0x20b5, 0x030200).numa(1).iommuGroup(group++).driver("nvidia").sriovPf(20, 2);
    for (int v = 0; v < 2; v++) {
      a100.virtfn(v, sys.device("0000:e1:00." + (4 + v)).id(0x10de, 0x20b5, 0x030200).numa(1).iommuGroup(group++).driver("nvidia")
          .file("nvidia/creatable_vgpu_types", "ID    : vGPU Name\n" + "590   : NVIDIA A100D-1-10C\n" + "591   : NVIDIA A100D-2-20C\n"));
    }
    for (int i = 0; i < 2; i++) {
      sys.device("0000:4" + i + ":00.0").id(0x144d, 0xa80a, 0x010802).numa(0).iommuGroup(group++).driver("nvme");
    }
    return sys;
  }

  List<Map<String, String>> probe(String conf) throws IOException {
    Path file = tmp.resolve("pci.conf");
    Files.writeString(file, conf);
    Cli.Result r = Cli.run("probe", "--config", file.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    return OneTemplate.vectors(r.out(), "PCI");
  }

  static List<String> column(List<Map<String, String>> vectors, String key) {
    return vectors.stream().map(v -> v.get(key)).toList();
  }

  @Test
  void theGuideFilterReportsGpusNvswitchesAndVgpusButNotTheVgpuParent() throws IOException {
    List<Map<String, String>> v = probe(":filter: '10de:*'\n");

    assertThat(column(v, "SHORT_ADDRESS"))
        .containsExactly("05:00.0", "06:00.0", "07:00.0", "08:00.0", "18:00.0", "2a:00.0", "3a:00.0", "5d:00.0",
            "9a:00.0", "ab:00.0", "ba:00.0", "db:00.0", "e1:00.4", "e1:00.5");
    assertThat(column(v, "NUMA_NODE")).containsExactly("0", "0", "0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1");
    assertThat(column(v, "IOMMU_GROUP")).containsExactly("26", "27", "28", "29", "11", "13", "15", "17", "19", "21", "23", "25", "35", "36");
    assertThat(v.get(12))
        .containsEntry("DEVICE_NAME", "NVIDIA vGPU device")
        .containsEntry("PROFILES", "590 (NVIDIA A100D-1-10C),591 (NVIDIA A100D-2-20C)")
        .containsEntry("MDEV_MODE", "nvidia");
    assertThat(v.get(4)).containsEntry("DEVICE_NAME", "NVIDIA Corporation GH100 [H100 SXM5 80GB]").doesNotContainKey("UUID");
  }

  @Test
  void theThreeDControllerFilterLeavesOutNvswitches() throws IOException {
    assertThat(column(probe(":filter: '10de:*:0302'\n"), "SHORT_ADDRESS"))
        .containsExactly("18:00.0", "2a:00.0", "3a:00.0", "5d:00.0", "9a:00.0", "ab:00.0", "ba:00.0", "db:00.0", "e1:00.4", "e1:00.5");
  }

  @Test
  void nicsShowTheirSriovRoleAndInterfaceNames() throws IOException {
    List<Map<String, String>> v = probe(":filter: '15b3:*'\n");

    assertThat(column(v, "SHORT_ADDRESS")).containsExactly("c1:00.1", "c1:00.2", "c1:00.3");
    assertThat(column(v, "SRIOV")).containsExactly("pf", "vf", "vf");
    assertThat(column(v, "IFNAME")).containsExactly("ens6f1np1", "ens6f0v0", "ens6f0v1");
    assertThat(v.get(0)).containsEntry("SRIOV_NUM", "0");
  }

  @Test
  void gpusOfOneNumaNodeByAddress() throws IOException {
    List<Map<String, String>> v = probe(":filter: '10de:*'\n:short_address:\n  - '9a:00.0'\n  - 'ab:00.0'\n  - 'e1:00.0'\n");

    assertThat(column(v, "SHORT_ADDRESS")).containsExactly("9a:00.0", "ab:00.0");
    assertThat(column(v, "LOCAL_CPUS")).containsExactly("56-111,168-223", "56-111,168-223");
  }

  @Test
  void everythingIsEveryFunctionButVgpuParentsAndEnabledPfs() throws IOException {
    List<Map<String, String>> v = probe(":filter: '*:*'\n");

    assertThat(v).hasSize(8 + 8 + 4 + 3 + 2 + 2);
    assertThat(column(v, "SHORT_ADDRESS")).doesNotContain("c1:00.0", "e1:00.0");
    assertThat(v).allSatisfy(m -> assertThat(m).doesNotContainKey("VMID"));
  }
}
