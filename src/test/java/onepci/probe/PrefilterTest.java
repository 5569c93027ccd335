package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import onepci.bench.BenchHost;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.OneTemplate;
import onepci.testing.Resources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probe with the kernel's {@code /proc/bus/pci/devices} beside sysfs (the filter decided
 * before a folder is opened) prints the report it prints reading every folder, byte for byte,
 * and falls back to reading every folder when that list is missing or not the kernel's.
 */
class PrefilterTest {

  static final Path PCI_IDS = Path.of("/usr/share/misc/pci.ids");
  static final List<String> FILTERS =
      List.of("*:*", "10de:*", "10de:*:0302", "15b3:*", "8086:*:0604", "::0200", "10de:2330,8086:1572",
          ":101e", "*:*:0108", "1af4:*:0200", "0:0");

  @TempDir static Path tmp;
  static Map<String, Path> roots;

  @BeforeAll
  static void hosts() throws IOException {
    assertThat(PCI_IDS).as("the pci.ids package must be installed for this test").isRegularFile();
    roots = new java.util.LinkedHashMap<>();
    roots.put("dgx", DgxHostTest.build(tmp.resolve("dgx")).procBusPciDevices().root());
    roots.put("held-48", BenchHost.write(tmp.resolve("held-48"), "held-48").root());
    roots.put("host-100", BenchHost.write(tmp.resolve("host-100"), "host-100").root());
    Path guest = Resources.h100GuestRoot(tmp.resolve("guest"));
    FakeSysfs.writeProcBusPciDevices(guest);
    roots.put("h100-guest", guest);
    roots.put("two-domains", twoDomains(tmp.resolve("two-domains")).root());
  }

  /**
   * Functions in domains 0000 and 0001 at the same bus, slot and function, with other vendors:
   * the kernel's list shows both on one line key, without their domains.
   */
  static FakeSysfs twoDomains(Path root) {
    FakeSysfs sys = FakeSysfs.create(root);
    sys.device("0000:05:00.0").id(0x8086, 0x1572, 0x020000).numa(0).iommuGroup(1).driver("i40e");
    sys.device("0001:05:00.0").id(0x10de, 0x2330, 0x030200).numa(1).iommuGroup(2).driver("vfio-pci");
    sys.device("0000:06:00.0").id(0x10de, 0x22a3, 0x068000).numa(0).iommuGroup(3);
    sys.device("0001:06:00.0").id(0x10de, 0x2330, 0x030200).numa(1).iommuGroup(4);
    sys.device("0002:07:00.0").id(0x15b3, 0x101e, 0x020000).numa(1).iommuGroup(5);
    return sys.procBusPciDevices();
  }

  static Stream<Arguments> treesAndFilters() {
    List<Arguments> out = new ArrayList<>();
    for (String tree : List.of("dgx", "held-48", "host-100", "h100-guest", "two-domains")) {
      for (String filter : FILTERS) {
        out.add(Arguments.of(tree, filter));
      }
    }
    return out.stream();
  }

  static Cli.Result probe(Path root, String filter) {
    return Cli.run("probe", "--filter", filter, "--sysfs-root", root.toString(), "--pci-ids", PCI_IDS.toString());
  }

  /** The probe's run on {@code root} with its {@code proc/bus/pci/devices} set aside. */
  static Cli.Result probeWithoutList(Path root, String filter) throws IOException {
    Path list = root.resolve("proc/bus/pci/devices");
    Path aside = root.resolve("proc/bus/pci/devices.aside");
    Files.move(list, aside);
    try {
      return probe(root, filter);
    } finally {
      Files.move(aside, list);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("treesAndFilters")
  void theKernelsListGivesTheReportOfReadingEveryFolder(String tree, String filter) throws IOException {
    Path root = roots.get(tree);
    Cli.Result full = probeWithoutList(root, filter);
    Cli.Result listed = probe(root, filter);

    assertThat(full.status()).as(full.err()).isZero();
    assertThat(listed.status()).as(listed.err()).isZero();
    assertThat(listed.out()).isEqualTo(full.out());
    assertThat(listed.err()).isEqualTo(full.err());
  }

  @Test
  void theGuideFilterOnTheDgxHostReportsItsNvidiaFunctions() throws IOException {
    List<Map<String, String>> v = OneTemplate.vectors(probe(roots.get("dgx"), "10de:*").out(), "PCI");

    assertThat(v).extracting(m -> m.get("SHORT_ADDRESS"))
        .containsExactly("05:00.0", "06:00.0", "07:00.0", "08:00.0", "18:00.0", "2a:00.0", "3a:00.0", "5d:00.0",
            "9a:00.0", "ab:00.0", "ba:00.0", "db:00.0", "e1:00.4", "e1:00.5");
  }

  @Test
  void twoDomainsAtOneBusSlotAndFunctionAreBothChecked() {
    List<Map<String, String>> v = OneTemplate.vectors(probe(roots.get("two-domains"), "10de:*:0302").out(), "PCI");

    assertThat(v).extracting(m -> m.get("ADDRESS")).containsExactly("0001:05:00:0", "0001:06:00:0");
  }

  /**
   * A host whose rejected function's folder cannot be opened (a link to nowhere): with the
   * kernel's list the probe never opens it; without, it warns that it skipped it.
   */
  FakeSysfs withBrokenRejectedFunction(Path root) throws IOException {
    FakeSysfs sys = FakeSysfs.create(root);
    sys.device("0000:3b:00.0").id(0x10de, 0x2330, 0x030200).numa(0).iommuGroup(1).driver("vfio-pci");
    sys.device("0000:5e:00.0").id(0x8086, 0x1572, 0x020000).numa(0).iommuGroup(2).driver("i40e");
    sys.device("0000:5e:00.1").id(0x10de, 0x22a3, 0x068000).numa(0).iommuGroup(3);
    sys.procBusPciDevices();
    Path link = root.resolve("sys/bus/pci/devices/0000:5e:00.0");
    Files.delete(link);
    Files.createSymbolicLink(link, Path.of("../../../devices/gone/0000:5e:00.0"));
    return sys;
  }

  static final String SKIPPED_WARNING =
      "one-pci probe: warning: skipped 0000:5e:00.0: device folder vanished or cannot be listed\n";

  @Test
  void aFunctionTheListRejectsIsNeverOpened() throws IOException {
    Path root = withBrokenRejectedFunction(tmp.resolve("broken")).root();

    Cli.Result listed = probe(root, "10de:*:0302");
    Cli.Result full = probeWithoutList(root, "10de:*:0302");

    assertThat(listed.status()).isZero();
    assertThat(listed.err()).isEmpty();
    assertThat(OneTemplate.vectors(listed.out(), "PCI")).extracting(m -> m.get("SHORT_ADDRESS")).containsExactly("3b:00.0");
    assertThat(full.out()).isEqualTo(listed.out());
    assertThat(full.err()).as("without the list the folder is opened").startsWith(SKIPPED_WARNING.strip());
  }

  /**
   * A list that is not the kernel's is not trusted at all: its lines claim the GPU is an Intel
   * function, then a line breaks the format; every folder is read, as without a list.
   */
  @ParameterizedTest
  @ValueSource(strings = {"missing", "empty", "garbage", "broken-last-line", "no-tab", "not-hex", "folder"})
  void aListMissingOrNotTheKernelsFallsBackToReadingEveryFolder(String kind) throws IOException {
    Path root = withBrokenRejectedFunction(tmp.resolve("list-" + kind)).root();
    Path list = root.resolve("proc/bus/pci/devices");
    String lies = "3b00\t80861572\t0\n5e00\t80861572\t0\n5e01\t10de22a3\t0\n";
    switch (kind) {
      case "missing" -> Files.delete(list);
      case "empty" -> Files.writeString(list, "");
      case "garbage" -> Files.write(list, new byte[] {0, 1, 2, (byte) 0xff, '\n'});
      case "broken-last-line" -> Files.writeString(list, lies + "5e0");
      case "no-tab" -> Files.writeString(list, lies + "5e01 10de22a3 0\n");
      case "not-hex" -> Files.writeString(list, lies + "5e0g\t10de22a3\t0\n");
      case "folder" -> {
        Files.delete(list);
        Files.createDirectories(list);
      }
      default -> throw new IllegalArgumentException(kind);
    }

    Cli.Result r = probe(root, "10de:*:0302");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(OneTemplate.vectors(r.out(), "PCI")).extracting(m -> m.get("SHORT_ADDRESS")).containsExactly("3b:00.0");
    assertThat(r.err()).isEqualTo(SKIPPED_WARNING);
  }

  @Test
  void aFunctionMissingFromTheListIsRead() throws IOException {
    Path root = withBrokenRejectedFunction(tmp.resolve("hotplug")).root();
    // the GPU appeared in sysfs after the list was read, and an NVSwitch at its key went away
    Files.writeString(root.resolve("proc/bus/pci/devices"), "5e00\t80861572\t0\n5e01\t10de22a3\t0\n", StandardCharsets.US_ASCII);

    Cli.Result r = probe(root, "10de:*:0302");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(OneTemplate.vectors(r.out(), "PCI")).extracting(m -> m.get("SHORT_ADDRESS")).containsExactly("3b:00.0");
    assertThat(r.err()).isEmpty();
  }
}
