package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file the command line names that is missing, a folder, not UTF-8 or garbage: the message
 * names the file, says what is wrong in words and how to fix it, never a Java exception name.
 * (A file this user may not read: {@link CliMessagesIT}, which needs a user other than root.)
 */
class CliMessagesTest {

  /** {@code java.io.IOException}, {@code MalformedInputException}, {@code NoSuchFileException: /x}. */
  static final Pattern JAVA_NAMES = Pattern.compile("\\b(?:java|javax|jdk|sun|org)\\.[a-z]+\\.|\\b\\w*(?:Exception|Error)\\b");

  @TempDir Path tmp;
  String root;
  Path folder;
  Path notUtf8;
  Path missing;

  @BeforeEach
  void setUp() throws IOException {
    root = HealthyH100Host.create(tmp.resolve("host")).sys().root().toString();
    folder = Files.createDirectories(tmp.resolve("a-folder"));
    notUtf8 = Files.write(tmp.resolve("latin1.conf"), ":filter: '10de:*' # caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    missing = tmp.resolve("missing");
  }

  static Cli.Result failsInWords(String... args) {
    Cli.Result r = Cli.run(args);
    assertThat(r.status()).as(String.join(" ", args)).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).as(String.join(" ", args)).doesNotContainPattern(JAVA_NAMES);
    return r;
  }

  @Test
  void aPciConfThatIsNotUtf8() {
    Cli.Result r = failsInWords("probe", "--config", notUtf8.toString(), "--sysfs-root", root);

    assertThat(r.err()).isEqualTo("one-pci probe: Invalid configuration " + notUtf8 + ": line 1: byte 0xe9 is not UTF-8 text; save the file as UTF-8\n");
  }

  @Test
  void aFolderGivenAsPciConf() {
    Cli.Result r = failsInWords("probe", "--config", folder.toString(), "--sysfs-root", root);

    assertThat(r.err())
        .isEqualTo("one-pci probe: Invalid configuration " + folder + ": cannot be read: is a directory, not a file; name the file itself, not its folder\n");
  }

  @Test
  void aMissingPciConf() {
    Cli.Result r = failsInWords("probe", "--config", missing.toString(), "--sysfs-root", root);

    assertThat(r.err()).isEqualTo("one-pci probe: Invalid configuration " + missing + ": the file does not exist\n");
  }

  @Test
  void aFolderOrAMissingFileGivenAsPciIds() {
    Cli.Result dir = failsInWords("probe", "--filter", "*:*", "--pci-ids", folder.toString(), "--sysfs-root", root);
    Cli.Result none = failsInWords("probe", "--filter", "*:*", "--pci-ids", missing.toString(), "--sysfs-root", root);

    assertThat(dir.err())
        .isEqualTo("one-pci probe: cannot report PCI devices: --pci-ids " + folder + ": is a directory, not a file; name the file itself, not its folder\n");
    assertThat(none.err()).isEqualTo("one-pci probe: cannot report PCI devices: --pci-ids " + missing + ": no such file or directory; check the path\n");
  }

  @Test
  void aDamagedPciIdsGzIsOneWarningInWordsNotAFailure() throws IOException {
    // gzip's magic bytes, then nothing gzip can read: the names fall back, the report still comes
    Path gz = Files.write(tmp.resolve("pci.ids.gz"), new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3});

    Cli.Result r = Cli.run("probe", "--filter", "10de:*", "--pci-ids", gz.toString(), "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.err().lines()).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("one-pci probe: warning: " + gz).doesNotContainPattern(JAVA_NAMES));
  }

  @Test
  void aFolderOrAMissingFileGivenAsDomainXml() {
    Cli.Result dir = failsInWords("vfio", "prepare", "--xml", folder.toString(), "--sysfs-root", root);
    Cli.Result none = failsInWords("vfio", "prepare", "--xml", missing.toString(), "--sysfs-root", root);

    assertThat(dir.err()).isEqualTo("one-pci vfio: --xml " + folder + ": is a directory, not a file; name the file itself, not its folder\n");
    assertThat(none.err()).isEqualTo("one-pci vfio: --xml " + missing + ": no such file or directory; check the path\n");
  }

  @Test
  void aDomainXmlThatIsNotUtf8() throws IOException {
    Path xml = Files.write(tmp.resolve("one-7.xml"), "<domain><name>caf\u00e9</name></domain>\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

    Cli.Result r = failsInWords("vfio", "prepare", "--xml", xml.toString(), "--sysfs-root", root);

    assertThat(r.err()).startsWith("one-pci vfio: " + xml + ": ");
  }

  @Test
  void doctorNamesAPciConfThatIsNotUtf8OrAFolderInWords() {
    for (Path conf : new Path[] {notUtf8, folder}) {
      Cli.Result r = Cli.run("doctor", "--json", "--config", conf.toString(), "--sysfs-root", root);

      assertThat(r.out()).as(conf.toString()).contains("\"name\":\"probe-filter\"").contains(conf.toString()).doesNotContainPattern(JAVA_NAMES);
      assertThat(r.err()).isEmpty();
    }
    assertThat(Cli.run("doctor", "--json", "--config", notUtf8.toString(), "--sysfs-root", root).out()).contains("not UTF-8 text");
    assertThat(Cli.run("doctor", "--json", "--config", folder.toString(), "--sysfs-root", root).out()).contains("is a directory, not a file");
  }

  @Test
  void aDeviceFileThatCannotBeReadIsSkippedWithAWarningInWords() throws IOException {
    FakeSysfs sys = FakeSysfs.create(tmp.resolve("other"));
    sys.device("0000:07:00.0").id(0x10de, 0x2330, 0x030200);
    sys.device("0000:08:00.0").id(0x10de, 0x2330, 0x030200);
    // without uevent and config, the ids come from vendor, device and class; a folder where the
    // kernel keeps vendor fails to read as an unreadable attribute does
    Path dir = sys.root().resolve("sys/bus/pci/devices/0000:08:00.0");
    Files.deleteIfExists(dir.resolve("uevent"));
    Files.deleteIfExists(dir.resolve("config"));
    Files.deleteIfExists(dir.resolve("vendor"));
    Files.createDirectories(dir.resolve("vendor"));

    Cli.Result r = Cli.run("probe", "--filter", "10de:*", "--sysfs-root", sys.root().toString());

    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("07:00.0").doesNotContain("08:00.0");
    assertThat(r.err()).contains("one-pci probe: warning: skipped 0000:08:00.0: vendor cannot be read: is a directory, not a file\n");
    assertThat(r.err()).doesNotContainPattern(JAVA_NAMES);
  }
}
