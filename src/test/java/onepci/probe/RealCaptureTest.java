package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.OneTemplate;
import onepci.testing.Resources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real sysfs capture of a VM with an NVIDIA H100 80GB HBM3 passed through: seven devices,
 * the GPU at 00:06.0 on the nvidia driver, NUMA node -1, no IOMMU groups. Names are those of
 * Debian 12's pci.ids, which is what lspci -mmnn prints reading the same capture.
 */
class RealCaptureTest {

  @TempDir static Path tmp;
  static Path root;
  static Path pciIds;

  @BeforeAll
  static void unpack() {
    root = Resources.h100GuestRoot(tmp);
    pciIds = Resources.file("pciids/debian12-h100-guest.ids", tmp);
  }

  @Test
  void everyDeviceIsReportedExactlyAsExpected() {
    Cli.Result r = Cli.run("probe", "--filter", "*:*", "--sysfs-root", root.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    // the capture's own readiness: a guest without an IOMMU, in a root without OpenNebula's files
    assertThat(r.out()).isEqualTo(Resources.text("expected/h100-guest-all-devices.txt").replace("ROOT", root.toString()));
  }

  @Test
  void theNvidiaFilterReportsTheGpuOnly() throws Exception {
    Path conf = tmp.resolve("pci.conf");
    Files.writeString(conf, ":filter: '10de:*'\n:passthrough_readiness: false\n"); // the vectors alone

    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--sysfs-root", root.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).isZero();
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
                " ADDRESS = \"0000:00:06:0\" ,",
                " SHORT_ADDRESS = \"00:06.0\" ,",
                " DOMAIN = \"0000\" ,",
                " BUS = \"00\" ,",
                " SLOT = \"06\" ,",
                " FUNCTION = \"0\" ,",
                " NUMA_NODE = \"-\" ,",
                " IFNAME = \"-\" ,",
                " SRIOV = \"no\" ,",
                " DEVICE_NAME = \"NVIDIA Corporation GH100[H100 SXM5 80GB]\" ,",
                " IOMMU_GROUP = \"-\" ,",
                " SUBSYSTEM_VENDOR = \"10de\" ,",
                " SUBSYSTEM_DEVICE = \"16c1\" ,",
                " LOCAL_CPUS = \"0-15\" ,",
                " MAX_LINK_SPEED = \"32.0 GT/s PCIe\" ,",
                " MAX_LINK_WIDTH = \"16\" ",
                "]",
                ""));
  }

  @Test
  void theReportParsesAsAnOpenNebulaTemplateKeyedByAddress() {
    Cli.Result r = Cli.run("probe", "--filter", "*:*", "--sysfs-root", root.toString(), "--pci-ids", pciIds.toString());

    List<Map<String, String>> pci = OneTemplate.vectors(r.out(), "PCI");
    assertThat(pci).extracting(v -> v.get("ADDRESS"))
        .containsExactly("0000:00:00:0", "0000:00:01:0", "0000:00:02:0", "0000:00:03:0", "0000:00:04:0", "0000:00:05:0", "0000:00:06:0");
    assertThat(pci).allSatisfy(v -> assertThat(v).doesNotContainKeys("VMID", "UUID", "PROFILES"));
  }
}
