package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.OneTemplate;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the probe's names come from, as libpci takes them: pci.ids first, then udev's hardware
 * database (here one compiled by systemd-hwdb into the tree's {@code etc/udev/hwdb.bin}, where the
 * probe looks first under {@code --sysfs-root}), then lspci's words; and what a missing, damaged
 * or garbage database does to the report (nothing but one warning).
 */
class ProbeNamesTest {

  static final String PCI_IDS =
      String.join(
          "\n",
          "10de  NVIDIA Corporation",
          "\t2330  GH100 [H100 SXM5 80GB]",
          "C 03  Display controller",
          "\t02  3D controller",
          "C 0c  Serial bus controller",
          "");

  static final String HWDB =
      String.join(
          "\n",
          "pci:v000010DE*",
          " ID_VENDOR_FROM_DATABASE=NVIDIA Corporation",
          "",
          "pci:v000010DEd00002330*",
          " ID_MODEL_FROM_DATABASE=an H100 name pci.ids outranks",
          "",
          "pci:v000010DEd00002335*",
          " ID_MODEL_FROM_DATABASE=GH100 [H200 SXM 141GB]",
          "",
          "pci:v000010DEd000022A3*",
          " ID_MODEL_FROM_DATABASE=GH100 [H100 NVSwitch]",
          "",
          "pci:v0000FFF0*",
          " ID_VENDOR_FROM_DATABASE=Test Vendor",
          "",
          "pci:v0000FFF0d00000001*",
          " ID_MODEL_FROM_DATABASE=Test Device One",
          "",
          "pci:v*d*sv*sd*bc03sc02*",
          " ID_PCI_SUBCLASS_FROM_DATABASE=a subclass name pci.ids outranks",
          "",
          "pci:v*d*sv*sd*bc0Csc08*",
          " ID_PCI_SUBCLASS_FROM_DATABASE=SERCOS interface",
          "",
          "pci:v*d*sv*sd*bc0D*",
          " ID_PCI_CLASS_FROM_DATABASE=Wireless controller",
          "",
          "pci:v*d*sv*sd*bc06*",
          " ID_PCI_CLASS_FROM_DATABASE=Bridge",
          "");

  static final String NAMES_PCI_IDS_LACKS = "names pci.ids lacks stay 'Vendor', 'Device' or 'Class'";

  @TempDir Path tmp;
  FakeSysfs sys;
  Path pciIds;
  Path hwdb;

  @BeforeEach
  void setUp() throws IOException {
    sys = FakeSysfs.create(tmp.resolve("host"));
    pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, PCI_IDS);
    hwdb = TestHwdb.compile(sys.root(), Map.of("50-test.hwdb", HWDB));
  }

  /** An HGX-like set: an H100 pci.ids knows, an H200 and an NVSwitch only hwdb knows, odd ones. */
  void hgx() {
    sys.device("0000:01:00.0").id(0x10de, 0x2330, 0x030200);
    sys.device("0000:02:00.0").id(0x10de, 0x2335, 0x030200);
    sys.device("0000:03:00.0").id(0x10de, 0x22a3, 0x068000);
    sys.device("0000:04:00.0").id(0xfff0, 0x0001, 0x0c0800);
    sys.device("0000:05:00.0").id(0xfff0, 0x0002, 0x0d7700);
    sys.device("0000:06:00.0").id(0xfff1, 0x0001, 0x120000);
  }

  Cli.Result probe(String conf) throws IOException {
    Path file = tmp.resolve("pci.conf");
    Files.writeString(file, conf);
    return Cli.run("probe", "--config", file.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString());
  }

  static List<String> names(Cli.Result r) {
    assertThat(r.status()).as(r.err()).isZero();
    return OneTemplate.vectors(r.out(), "PCI").stream()
        .map(v -> String.join(" | ", v.get("SHORT_ADDRESS"), v.get("VENDOR_NAME"), v.get("DEVICE_NAME"), v.get("CLASS_NAME")))
        .toList();
  }

  @Test
  void namesPciIdsLacksComeFromTheHardwareDatabaseInLibpcisOrder() throws IOException {
    hgx();

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(r.err()).isEmpty();
    assertThat(names(r))
        .containsExactly(
            "01:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 SXM5 80GB] | 3D controller",
            "02:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H200 SXM 141GB] | 3D controller",
            "03:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 NVSwitch] | Bridge",
            "04:00.0 | Test Vendor | Test Device One | SERCOS interface",
            "05:00.0 | Test Vendor | Device | Wireless controller",
            "06:00.0 | Vendor | Device | Class");
  }

  @Test
  void aDeviceNameFilterMatchesNamesFromTheHardwareDatabase() throws IOException {
    hgx();

    // the stock probe's filter is a case-blind regex on the device name: 'GH100' matches 'h100'
    assertThat(names(probe(":filter: '10de:*'\n:device_name: ['h100']\n")))
        .extracting(row -> row.substring(0, 7))
        .containsExactly("01:00.0", "02:00.0", "03:00.0");
    assertThat(names(probe(":filter: '10de:*'\n:device_name: ['nvswitch']\n")))
        .containsExactly("03:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 NVSwitch] | Bridge");
    assertThat(names(probe(":filter: '10de:*'\n:device_name: ['H200']\n")))
        .containsExactly("02:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H200 SXM 141GB] | 3D controller");
  }

  @Test
  void aGarbageHardwareDatabaseGivesTodaysNamesAndOneWarning() throws IOException {
    hgx();
    Files.delete(hwdb);
    Files.writeString(hwdb, "<html><body>502 Bad Gateway</body></html>\n".repeat(4));

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(names(r)).containsExactlyElementsOf(todaysNames());
    assertThat(r.err())
        .isEqualTo("one-pci probe: warning: " + hwdb + ": not a usable compiled hardware database: it does not start with the"
            + " signature KSLPHHRH; " + NAMES_PCI_IDS_LACKS + " (run systemd-hwdb update)\n");
  }

  @Test
  void aTruncatedHardwareDatabaseGivesTodaysNamesAndOneWarning() throws IOException {
    hgx();
    byte[] b = Files.readAllBytes(hwdb);
    Files.delete(hwdb);
    Files.write(hwdb, Arrays.copyOf(b, b.length / 2));

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(names(r)).containsExactlyElementsOf(todaysNames());
    assertThat(r.err())
        .isEqualTo("one-pci probe: warning: " + hwdb + ": not a usable compiled hardware database: it is " + b.length / 2
            + " bytes long where its header says " + b.length + " (cut short, or still being written); " + NAMES_PCI_IDS_LACKS
            + " (run systemd-hwdb update)\n");
  }

  @Test
  void aDamagedTrieGivesTodaysNamesAndOneWarningHoweverManyNamesAreAsked() throws IOException {
    hgx();
    byte[] b = Files.readAllBytes(hwdb);
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int root = (int) buf.getLong(56);
    buf.putLong(root + (int) buf.getLong(32) + 8, 1L << 40); // the root's first child: outside the file
    Files.delete(hwdb);
    Files.write(hwdb, b);

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(names(r)).containsExactlyElementsOf(todaysNames());
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err())
        .startsWith("one-pci probe: warning: " + hwdb + ": not a usable compiled hardware database: it is damaged (")
        .endsWith("); " + NAMES_PCI_IDS_LACKS + " (run systemd-hwdb update)\n");
  }

  @Test
  void theHardwareDatabaseIsNotReadWhenPciIdsNamesEverything() throws IOException {
    sys.device("0000:01:00.0").id(0x10de, 0x2330, 0x030200);
    Files.delete(hwdb);
    Files.writeString(hwdb, "not a database");

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(r.err()).isEmpty();
    assertThat(names(r)).containsExactly("01:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 SXM5 80GB] | 3D controller");
  }

  @Test
  void aGarbagePciIdsIsOneWarningAndNamesComeFromTheHardwareDatabase() throws IOException {
    hgx();
    Files.writeString(pciIds, "<html>\n<body>Not Found</body>\n</html>\n");

    Cli.Result r = probe(":filter: '10de:*'\n");

    assertThat(r.err())
        .isEqualTo("one-pci probe: warning: " + pciIds + ": line 1 is not in pci.ids format (a vendor line is four hex digits and a"
            + " name); names come from udev's hardware database alone (reinstall the pci.ids or hwdata package)\n");
    assertThat(names(r))
        .containsExactly(
            "01:00.0 | NVIDIA Corporation | NVIDIA Corporation an H100 name pci.ids outranks | a subclass name pci.ids outranks",
            "02:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H200 SXM 141GB] | a subclass name pci.ids outranks",
            "03:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 NVSwitch] | Bridge");
  }

  @Test
  void aLineOfAnotherShapeDeepInPciIdsIsNamedWithItsNumber() throws IOException {
    sys.device("0000:01:00.0").id(0x10de, 0x2330, 0x030200);
    Files.writeString(pciIds, PCI_IDS + "\t\t\t0001  indented three times\n");

    Cli.Result r = probe(":filter: '*:*'\n");

    assertThat(r.err())
        .isEqualTo("one-pci probe: warning: " + pciIds + ": line 6 is not in pci.ids format (a line indented more than twice);"
            + " names come from udev's hardware database alone (reinstall the pci.ids or hwdata package)\n");
    assertThat(names(r)).containsExactly("01:00.0 | NVIDIA Corporation | NVIDIA Corporation an H100 name pci.ids outranks | a subclass name pci.ids outranks");
  }

  @Test
  void aDamagedCompressedPciIdsIsOneWarning() throws IOException {
    sys.device("0000:02:00.0").id(0x10de, 0x2335, 0x030200);
    Path gz = tmp.resolve("pci.ids.gz");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.GZIPOutputStream(bytes)) {
      out.write(PCI_IDS.repeat(50).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Files.write(gz, Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
    Path file = tmp.resolve("pci.conf");
    Files.writeString(file, ":filter: '*:*'\n");

    Cli.Result r = Cli.run("probe", "--config", file.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", gz.toString());

    assertThat(r.err())
        .isEqualTo("one-pci probe: warning: " + gz + ": the compressed PCI ID database is cut short; names come from udev's"
            + " hardware database alone (reinstall the pci.ids or hwdata package)\n");
    assertThat(names(r)).containsExactly("02:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H200 SXM 141GB] | a subclass name pci.ids outranks");
  }

  @Test
  void theHwdbOptionNamesTheDatabaseUsed() throws IOException {
    sys.device("0000:02:00.0").id(0x10de, 0x2335, 0x030200);
    Path file = tmp.resolve("pci.conf");
    Files.writeString(file, ":filter: '*:*'\n");

    Cli.Result r = Cli.run(
        "probe", "--config", file.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString(),
        "--hwdb", TestHwdb.withoutPciNames().toString());

    assertThat(r.err()).isEmpty();
    assertThat(names(r)).containsExactly("02:00.0 | NVIDIA Corporation | NVIDIA Corporation Device | 3D controller");
  }

  /** The names without a hardware database: pci.ids's, then lspci's words. */
  static List<String> todaysNames() {
    return List.of(
        "01:00.0 | NVIDIA Corporation | NVIDIA Corporation GH100 [H100 SXM5 80GB] | 3D controller",
        "02:00.0 | NVIDIA Corporation | NVIDIA Corporation Device | 3D controller",
        "03:00.0 | NVIDIA Corporation | NVIDIA Corporation Device | Class",
        "04:00.0 | Vendor | Device | Serial bus controller",
        "05:00.0 | Vendor | Device | Class",
        "06:00.0 | Vendor | Device | Class");
  }
}
