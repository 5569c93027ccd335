package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.OptionalInt;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a bridge is: the header type in config (1 or 2), whatever the class says. */
class HeaderTypeTest {

  @TempDir Path tmp;

  PciDevice read(FakeSysfs sys, String address) throws Exception {
    return new SysfsReader(sys.paths()).read(PciAddress.parse(address));
  }

  @Test
  void theHeaderTypeDecidesNotTheClass() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    sys.device("0000:00:00.0").id(0x8086, 0x0d57, 0x060000);                    // host bridge, header 0
    sys.device("0000:00:01.0").id(0x8086, 0x347a, 0x060400);                    // root port, header 1
    sys.device("0000:00:02.0").id(0x1180, 0x0476, 0x060700);                    // CardBus bridge, header 2
    sys.device("0000:00:03.0").id(0x10b5, 0x8747, 0x060400).headerType(0x81);   // multifunction bit set
    sys.device("0000:05:00.0").id(0x10de, 0x22a3, 0x068000);                    // NVSwitch, header 0

    assertThat(read(sys, "0000:00:00.0").headerType()).isEqualTo(OptionalInt.of(0));
    assertThat(read(sys, "0000:00:00.0").isBridge()).isFalse();
    assertThat(read(sys, "0000:00:01.0").isBridge()).isTrue();
    assertThat(read(sys, "0000:00:02.0").headerType()).isEqualTo(OptionalInt.of(2));
    assertThat(read(sys, "0000:00:02.0").isBridge()).isTrue();
    assertThat(read(sys, "0000:00:03.0").headerType()).isEqualTo(OptionalInt.of(1));
    assertThat(read(sys, "0000:05:00.0").isBridge()).isFalse();
    assertThat(read(sys, "0000:05:00.0").isNvSwitch()).isTrue();
  }

  @Test
  void anUnknownHeaderTypeIsNeitherBridgeNorEndpoint() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    sys.device("0000:00:01.0").id(0x8086, 0x347a, 0x060400).headerType(0x7f);   // all ones: powered off
    sys.device("0000:00:02.0").id(0x8086, 0x347a, 0x060400);
    sys.delete("sys/devices/pci0000:00/0000:00:02.0/config");

    assertThat(read(sys, "0000:00:01.0").headerType()).isEmpty();
    assertThat(read(sys, "0000:00:02.0").headerType()).isEmpty();
    assertThat(read(sys, "0000:00:02.0").isBridge()).isFalse();
  }

  @Test
  void theProbesReaderLeavesConfigAlone() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    sys.device("0000:00:01.0").id(0x8086, 0x347a, 0x060400).file("uevent", "PCI_CLASS=60400\nPCI_ID=8086:347A\n");

    assertThat(SysfsReader.sparingConfig(sys.paths()).read(PciAddress.parse("0000:00:01.0")).headerType()).isEmpty();
  }

  @Test
  void nvSwitchesByIdAndByNvidiasClass() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    sys.device("0000:05:00.0").id(0x10de, 0x1af1, 0x068000);   // A100 generation
    sys.device("0000:06:00.0").id(0x10de, 0x22a3, 0x068000);   // H100 generation
    sys.device("0000:07:00.0").id(0x10de, 0x2901, 0x068000);   // a later one, by class
    sys.device("0000:08:00.0").id(0x10de, 0x2330, 0x030200);   // an H100 GPU
    sys.device("0000:09:00.0").id(0x8086, 0x22a3, 0x010601);   // Intel's 22a3 is a SATA controller

    assertThat(read(sys, "0000:05:00.0").isNvSwitch()).isTrue();
    assertThat(read(sys, "0000:06:00.0").isNvSwitch()).isTrue();
    assertThat(read(sys, "0000:07:00.0").isNvSwitch()).isTrue();
    assertThat(read(sys, "0000:08:00.0").isNvSwitch()).isFalse();
    assertThat(read(sys, "0000:09:00.0").isNvSwitch()).isFalse();
  }
}
