package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.OneTemplate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probe against the real {@code lspci -mmnn} (the heart of the stock probe) on the same
 * generated tree, with this machine's pci.ids and udev hardware database (lspci reads hwdb.bin
 * through libudev for what pci.ids lacks; the probe falls back to the machine's hwdb.bin as the
 * tree has none): the same devices for each filter, with the same vendor, device and class names,
 * also once the stock probe's rules (NVIDIA names, {@code :device_name:}) are applied. Needs
 * pciutils, pci.ids and udev (.ci/run installs them).
 */
class LspciDifferentialTest {

  static final Path PCI_IDS = Path.of("/usr/share/misc/pci.ids");
  static final Pattern LINE =
      Pattern.compile("^(\\S+) \"(.*) \\[([0-9a-f]{4})\\]\" \"(.*) \\[([0-9a-f]{4})\\]\" \"(.*) \\[([0-9a-f]{4})\\]\"");

  @TempDir static Path tmp;
  static FakeSysfs sys;
  static Path conf;

  @BeforeAll
  static void generate() throws IOException {
    assertThat(PCI_IDS).as("the pci.ids package must be installed for this test").isRegularFile();
    sys = FakeSysfs.create(tmp.resolve("host"));
    Random rnd = new Random(20261123);
    int[][] ids = {
      {0x10de, 0x2330}, {0x10de, 0x2335}, {0x10de, 0x20b5}, {0x10de, 0x22a3}, {0x10de, 0x1af1}, {0x10de, 0x9999},
      {0x15b3, 0x101d}, {0x15b3, 0x101e}, {0x15b3, 0xa2dc}, {0x8086, 0x1572}, {0x8086, 0x0d57},
      {0x8086, 0x2922}, {0x1af4, 0x1041}, {0x1af4, 0x1042}, {0x1000, 0x0097}, {0x144d, 0xa80a},
      {0xfff0, 0x0001}, {0x1d0f, 0xefa1}, {0x14e4, 0x16d7}
    };
    int[] classes = {0x030200, 0x030000, 0x040300, 0x020000, 0x020700, 0x010802, 0x010700, 0x060400, 0x060000, 0x0c0330, 0x068000, 0xff0000, 0x0d7700, 0xee0000, 0x120000};
    for (int i = 0; i < 120; i++) {
      int[] id = ids[rnd.nextInt(ids.length)];
      String addr = String.format("%04x:%02x:%02x.%d", rnd.nextInt(8) == 0 ? 1 : 0, rnd.nextInt(256), rnd.nextInt(32), rnd.nextInt(8));
      sys.device(addr).id(id[0], id[1], classes[rnd.nextInt(classes.length)]);
    }
    sys.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200);
    sys.device("0000:00:00.0").id(0x8086, 0x0d57, 0x060000);
    sys.device("0000:00:14.0").id(0x8086, 0x2922, 0x0c0330);
    sys.device("0000:00:04.0").id(0x1af4, 0x1053, 0xff0000);
    sys.device("0000:00:05.0").id(0x1af4, 0x1041, 0x020000);
    // an HGX board's H200 and NVSwitch, which Debian 12's pci.ids does not know
    sys.device("0000:e2:00.0").id(0x10de, 0x2335, 0x030200);
    sys.device("0000:e3:00.0").id(0x10de, 0x22a3, 0x068000);
    conf = tmp.resolve("pci.conf");
    Files.writeString(conf, ":filter: '0:0'\n:nvidia_vendors: []\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"*:*", "10de:*", "10de:*:0302", "::0200", "15b3:101e", ":2330", "8086:*:0600", "0:0", "fff0:*", "*:*:0c03:30", "1af4::ff00"})
  void sameDevicesAndNamesAsLspci(String filter) throws Exception {
    List<String> expected = lspci(filter);
    if (!filter.equals("0:0")) {
      assertThat(expected).as("lspci found devices for %s", filter).isNotEmpty();
    }

    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--filter", filter, "--sysfs-root", sys.root().toString(), "--pci-ids", PCI_IDS.toString());

    assertThat(r.status()).as(r.err()).isZero();
    List<String> actual = new ArrayList<>();
    for (Map<String, String> v : OneTemplate.vectors(r.out(), "PCI")) {
      actual.add(String.join(" | ", v.get("SHORT_ADDRESS"), v.get("CLASS_NAME"), v.get("CLASS"), v.get("VENDOR_NAME"), v.get("VENDOR"), v.get("DEVICE_NAME"), v.get("DEVICE")));
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void theTreeHoldsDevicesOnlyTheHardwareDatabaseNames() throws Exception {
    List<String> withHwdb = lspci("10de:2335", false);
    List<String> pciIdsOnly = lspci("10de:2335", true);

    assertThat(pciIdsOnly).as("this machine's pci.ids does not know 10de:2335").isNotEmpty().allMatch(row -> row.endsWith(" | Device | 2335"));
    assertThat(withHwdb).as("lspci names 10de:2335 from this machine's hwdb.bin").isNotEmpty().noneMatch(row -> row.endsWith(" | Device | 2335"));
  }

  /**
   * The stock probe's rules on lspci's lines (pci.rb): {@code :device_name:} patterns matched
   * case-insensitively against the device name, and NVIDIA's vendor name put before the device's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "h100", "h200|nvswitch", "controller"})
  void sameReportAsTheStockProbesRules(String deviceName) throws Exception {
    Path stockConf = tmp.resolve("stock-" + deviceName.length() + ".conf");
    Files.writeString(stockConf, ":filter: '*:*'\n" + (deviceName.isEmpty() ? "" : ":device_name: ['" + deviceName + "']\n"));
    Pattern pattern = Pattern.compile(deviceName, Pattern.CASE_INSENSITIVE);
    List<String> expected = new ArrayList<>();
    for (String row : lspci("*:*", false)) {
      String[] f = row.split(" \\| ", -1);
      if (!deviceName.isEmpty() && !pattern.matcher(f[5]).find()) {
        continue;
      }
      String name = f[4].equals("10de") ? f[3] + " " + f[5] : f[5];
      expected.add(String.join(" | ", f[0], f[3], name, f[1]));
    }
    if (!deviceName.isEmpty()) {
      assertThat(expected).as("lspci's names match %s", deviceName).isNotEmpty();
    }

    Cli.Result r = Cli.run("probe", "--config", stockConf.toString(), "--sysfs-root", sys.root().toString(), "--pci-ids", PCI_IDS.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> actual = new ArrayList<>();
    for (Map<String, String> v : OneTemplate.vectors(r.out(), "PCI")) {
      actual.add(String.join(" | ", v.get("SHORT_ADDRESS"), v.get("VENDOR_NAME"), v.get("DEVICE_NAME"), v.get("CLASS_NAME")));
    }
    assertThat(actual).isEqualTo(expected);
  }

  static List<String> lspci(String filter) throws IOException, InterruptedException {
    return lspci(filter, false);
  }

  /** lspci's lines as rows; {@code pciIdsOnly} keeps it from the hardware database. */
  static List<String> lspci(String filter, boolean pciIdsOnly) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(
        "lspci", "-mmnn", "-d", filter, "-A", "linux-sysfs", "-O", "sysfs.path=" + sys.root().resolve("sys/bus/pci"), "-i", PCI_IDS.toString()));
    if (pciIdsOnly) {
      argv.addAll(List.of("-O", "hwdb.disable=1"));
    }
    Process p =
        new ProcessBuilder(argv)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    List<String> rows = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      assertThat(m.find()).as("lspci line: %s", line).isTrue();
      rows.add(String.join(" | ", m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), m.group(7)));
    }
    return rows;
  }
}
