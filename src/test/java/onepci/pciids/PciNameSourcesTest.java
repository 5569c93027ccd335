package onepci.pciids;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which hwdb.bin is used, as sd-hwdb picks it, and what happens when there is none. */
class PciNameSourcesTest {

  @TempDir Path tmp;
  Optional<PciIdsDatabase> pciIds;
  final List<String> warnings = new ArrayList<>();
  final PciIdsDatabase.Request request = new PciIdsDatabase.Request().device(0x10de, 0x2330).device(0x10de, 0x2335).classId(0x0302);

  @BeforeEach
  void setUp() throws IOException {
    Path ids = tmp.resolve("pci.ids");
    Files.writeString(ids, "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n");
    pciIds = Optional.of(new PciIdsDatabase(ids));
  }

  Path compiled(String name, String model) {
    return TestHwdb.compile(tmp.resolve(name), Map.of("50-test.hwdb", "pci:v000010DEd00002335*\n ID_MODEL_FROM_DATABASE=" + model + "\n"));
  }

  @Test
  void withoutAnyHardwareDatabaseNamesAreTodaysAndThereIsOneWarning() {
    List<Path> candidates = List.of(tmp.resolve("etc/udev/hwdb.bin"), tmp.resolve("usr/lib/udev/hwdb.bin"));

    PciNames names = new PciNameSources(pciIds, candidates).lookup(request, warnings::add);

    assertThat(names.device(0x10de, 0x2335)).isEqualTo("Device");
    assertThat(names.vendor(0xfff0)).isEqualTo("Vendor");
    assertThat(names.className(0x0302)).isEqualTo("Class");
    assertThat(names.device(0x10de, 0x2330)).isEqualTo("GH100 [H100 SXM5 80GB]");
    assertThat(warnings)
        .containsExactly("no udev hardware database (hwdb.bin) in " + candidates.get(0) + ", " + candidates.get(1)
            + "; names pci.ids lacks stay 'Vendor', 'Device' or 'Class' (install udev, or run systemd-hwdb update)");
  }

  @Test
  void theFirstDatabaseThatExistsIsUsed() {
    Path second = compiled("second", "from the second");
    Path third = compiled("third", "from the third");

    PciNames names = new PciNameSources(pciIds, List.of(tmp.resolve("missing/hwdb.bin"), second, third)).lookup(request, warnings::add);

    assertThat(names.device(0x10de, 0x2335)).isEqualTo("from the second");
    assertThat(warnings).isEmpty();
  }

  @Test
  void oneThatExistsButCannotBeUsedEndsTheSearchAsInSdHwdb() throws IOException {
    Path broken = tmp.resolve("broken/hwdb.bin");
    Files.createDirectories(broken.getParent());
    Files.writeString(broken, "KSLPHHRH");
    Path good = compiled("good", "from the good one");

    PciNames names = new PciNameSources(pciIds, List.of(broken, good)).lookup(request, warnings::add);

    assertThat(names.device(0x10de, 0x2335)).isEqualTo("Device");
    assertThat(names.vendor(0xfff0)).isEqualTo("Vendor");
    assertThat(warnings)
        .containsExactly(broken + ": not a usable compiled hardware database: it is 8 bytes long, shorter than the header of one;"
            + " names pci.ids lacks stay 'Vendor', 'Device' or 'Class' (run systemd-hwdb update)");
  }
}
