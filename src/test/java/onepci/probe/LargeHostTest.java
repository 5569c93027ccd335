package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.OneTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host with 1000 functions and no IOMMU: every function reported once, in address order. */
class LargeHostTest {

  @TempDir Path tmp;

  @Test
  void aThousandFunctionsWithoutIommu() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp.resolve("host"));
    Files.delete(sys.root().resolve("sys/kernel/iommu_groups"));
    List<String> expected = new ArrayList<>();
    for (int i = 999; i >= 0; i--) {
      String addr = String.format("%04x:%02x:%02x.%d", i >= 960 ? 1 : 0, i / 64, (i / 8) % 8, i % 8);
      sys.device(addr).id(0x15b3, 0x101e, 0x020000).numa(i % 2);
    }
    for (int i = 0; i < 1000; i++) {
      String shortAddr = String.format("%02x:%02x.%d", i / 64, (i / 8) % 8, i % 8);
      expected.add(i >= 960 ? "0001:" + shortAddr : shortAddr);
    }
    Path ids = tmp.resolve("pci.ids");
    Files.writeString(ids, PciProbeTest.PCI_IDS);

    Cli.Result r = Cli.run("probe", "--filter", "15b3:*", "--sysfs-root", sys.root().toString(), "--pci-ids", ids.toString());

    assertThat(r.status()).isZero();
    List<Map<String, String>> v = OneTemplate.vectors(r.out(), "PCI");
    assertThat(v).extracting(m -> m.get("SHORT_ADDRESS")).containsExactlyElementsOf(expected);
    assertThat(v).allSatisfy(m -> assertThat(m).containsEntry("IOMMU_GROUP", "-").containsEntry("DEVICE_NAME", "ConnectX Family mlx5Gen Virtual Function"));
  }
}
