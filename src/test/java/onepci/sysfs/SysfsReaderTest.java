package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the reader takes a device's ids from, in order: uevent, config, the three files. */
class SysfsReaderTest {

  @TempDir Path tmp;

  @Test
  void ueventGivesIdsSubsystemAndDriverInOneRead() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    FakeSysfs.Device d = sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200).subsystem(0x10de, 0x16c1).driver("vfio-pci");
    d.file("uevent", "DRIVER=nvidia\nPCI_CLASS=30200\nPCI_ID=10DE:2331\nPCI_SUBSYS_ID=10DE:1626\nPCI_SLOT_NAME=0000:e1:00.0\n");

    PciDevice p = new SysfsReader(sys.paths()).read(d.address());

    assertThat(p.device()).isEqualTo(0x2331);
    assertThat(p.subsystemDevice()).hasValue(0x1626);
    assertThat(p.driver()).hasValue("nvidia");
  }

  @Test
  void withoutUeventTheIdsComeFromConfig() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    FakeSysfs.Device d = sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200);
    d.file("vendor", "not read");

    SysfsReader r = new SysfsReader(sys.paths());

    assertThat(r.identity(d.address())).isEqualTo(new PciId(0x10de, 0x2330, 0x030200));
  }

  @Test
  void aConfigOfAllOnesIsPassedOverForTheFiles() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    FakeSysfs.Device d = sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200);
    byte[] ones = new byte[64];
    Arrays.fill(ones, (byte) 0xff);
    Files.write(d.dir().resolve("config"), ones);

    assertThat(new SysfsReader(sys.paths()).identity(d.address())).isEqualTo(new PciId(0x10de, 0x2330, 0x030200));
  }

  @Test
  void aMissingIdFileIsReportedEvenWhenConfigCouldAnswer() throws IOException {
    FakeSysfs sys = FakeSysfs.create(tmp);
    FakeSysfs.Device d = sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200);
    Files.delete(d.dir().resolve("class"));

    SysfsReader r = new SysfsReader(sys.paths());

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.identity(d.address()))
        .isInstanceOf(DeviceReadException.class)
        .hasMessage("0000:e1:00.0: class is missing (the device vanished mid-scan?)");
  }

  @Test
  void theFolderListedForTheFilterServesTheFullRead() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp);
    FakeSysfs.Device d = sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200).numa(1).iommuGroup(7);
    SysfsReader r = new SysfsReader(sys.paths());

    SysfsReader.DeviceFolder f = r.folder(d.address());
    PciDevice p = r.read(f);

    assertThat(r.identity(f)).isEqualTo(new PciId(0x10de, 0x2330, 0x030200));
    assertThat(p).isEqualTo(r.read(d.address()));
    assertThat(p.numaNode()).hasValue(1);
    assertThat(p.iommuGroup()).hasValue(7);
    assertThat(f.entries()).contains("config", "iommu_group", "numa_node");
  }
}
