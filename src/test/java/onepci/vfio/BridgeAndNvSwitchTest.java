package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.TreeMap;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare tells bridges by the header type: an NVSwitch (class 0680, header 0) is an endpoint that
 * goes to vfio-pci with its group, a PCIe port (header 1) stays on its driver, and a member whose
 * header type cannot be read is refused rather than guessed.
 *
 * <pre>
 * 0000:0a:00.0  PCIe switch downstream port (pcieport), header 1   group 21
 * 0000:0b:00.0  NVSwitch 10de:22a3 (nvidia-nvswitch), header 0     group 21
 * </pre>
 */
class BridgeAndNvSwitchTest {

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    FakeSysfs.Device port = host.fs.device("0000:0a:00.0").id(0x10b5, 0xc010, 0x060400).iommuGroup(21).driver("pcieport");
    host.fs.device("0000:0b:00.0", port).id(0x10de, 0x22a3, 0x068000).iommuGroup(21).driver("nvidia-nvswitch");
    kernel = host.simulate();
  }

  @Test
  void anNvSwitchIsPreparedWithItsGroupAndThePortStays() throws Exception {
    assertThat(host.prepare("one-9", "0000:0b:00.0")).isZero();

    assertThat(kernel.writes()).containsExactly(
        "sys/bus/pci/devices/0000:0b:00.0/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/nvidia-nvswitch/unbind <- 0000:0b:00.0",
        "sys/bus/pci/drivers_probe <- 0000:0b:00.0");
    assertThat(host.driver("0000:0b:00.0")).contains("vfio-pci");
    assertThat(host.driver("0000:0a:00.0")).contains("pcieport");
    assertThat(host.read(host.journal("one-9")).lines().skip(2)).containsExactly("0000:0b:00.0\t21\tbound\tnvidia-nvswitch\t-");

    assertThat(host.release("one-9")).isZero();
    assertThat(host.driver("0000:0b:00.0")).contains("nvidia-nvswitch");
  }

  @Test
  void aClass06EndpointInTheGroupIsBoundNotSkipped() throws Exception {
    // a host-bridge-class function with header type 0 is an endpoint: left on its driver, the
    // group would not be viable
    host.fs.device("0000:0b:00.1").id(0x8086, 0x09a2, 0x060000).iommuGroup(21).driver("intel_uncore");
    kernel = host.simulate();

    assertThat(host.prepare("one-9", "0000:0b:00.0")).isZero();

    assertThat(host.driver("0000:0b:00.1")).contains("vfio-pci");
    assertThat(host.driver("0000:0a:00.0")).contains("pcieport");
  }

  @Test
  void aPortAskedForIsRefusedAsABridge() throws Exception {
    TreeMap<String, String> before = host.snapshot();

    assertThat(host.prepare("one-9", "0000:0a:00.0")).isEqualTo(1);

    assertThat(host.errLines()).containsExactly(
        "one-pci vfio: one-9: refused 0000:0a:00.0: is a PCI bridge or port, which cannot be passed through; fix: pass through the devices behind it instead",
        "one-pci vfio: one-9: nothing was changed");
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.snapshot()).isEqualTo(before);
  }

  @Test
  void aMemberWhoseHeaderTypeCannotBeReadIsRefusedNotGuessed() throws Exception {
    host.fs.delete(tmp.relativize(host.paths.pciDevice(onepci.sysfs.PciAddress.parse("0000:0a:00.0")).toRealPath().resolve("config")).toString());
    TreeMap<String, String> before = host.snapshot();

    assertThat(host.prepare("one-9", "0000:0b:00.0")).isEqualTo(1);

    assertThat(host.errLines()).containsExactly(
        "one-pci vfio: one-9: refused 0000:0a:00.0: cannot tell whether it is a bridge: the header type in " + tmp
            + "/sys/bus/pci/devices/0000:0a:00.0/config cannot be read, or is not 0, 1 or 2 (the device powered off or gone?)"
            + " (in IOMMU group 21 with the requested device);"
            + " fix: check that the device answers ('lspci -D -s 0000:0a:00.0 -vv' as root), then start the VM again",
        "one-pci vfio: one-9: nothing was changed");
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.snapshot()).isEqualTo(before);
  }
}
