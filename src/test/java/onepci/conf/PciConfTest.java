package onepci.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import onepci.sysfs.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PciConfTest {

  static final Path FILE = Path.of("/var/lib/one/remotes/etc/im/kvm-probes.d/pci.conf");

  static PciConf parse(String text) throws ConfigException {
    return PciConf.parse(FILE, text);
  }

  static void assertInvalid(String text, String message) {
    assertThatThrownBy(() -> parse(text)).isInstanceOf(ConfigException.class).hasMessage("Invalid configuration " + FILE + ": " + message);
  }

  @Test
  void theShippedFileMeansNoDevice() throws Exception {
    Path shipped = Path.of("remotes/etc/im/kvm-probes.d/pci.conf");
    PciConf c = PciConf.load(shipped);

    assertThat(c.filters()).extracting(IdFilter::text).containsExactly("0:0");
    assertThat(c.shortAddresses()).isEmpty();
    assertThat(c.deviceNames()).isEmpty();
    assertThat(c.nvidiaVendors()).containsExactly(0x10de);
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  void missingKeysTakeTheDefaults() throws Exception {
    PciConf c = parse(":short_address: ['07:00.0']\n");

    assertThat(c.filters()).extracting(IdFilter::text).containsExactly("0:0");
    assertThat(c.nvidiaVendors()).containsExactly(0x10de);
  }

  @Test
  void filtersMayBeAListOrCommaSeparatedOrBoth() throws Exception {
    PciConf c = parse(":filter:\n  - '10de:*'\n  - '15b3::0207, 8086:1572'\n");

    assertThat(c.filters()).extracting(IdFilter::text).containsExactly("10de:*", "15b3::0207", "8086:1572");
  }

  @Test
  void plainScalarsAreTextWhereRubysYamlReadsThemAsText() throws Exception {
    PciConf c = parse("filter: 10de:2330\nshort_address: [e1:00.0, 0001:e1:00.0]\nnvidia_vendors: [10de, 1af4]\n");

    assertThat(c.filters()).extracting(IdFilter::text).containsExactly("10de:2330");
    assertThat(c.shortAddresses()).containsExactly(PciAddress.parse("e1:00.0"), PciAddress.parse("0001:e1:00.0"));
    assertThat(c.nvidiaVendors()).containsExactly(0x10de, 0x1af4);
  }

  @Test
  void plainScalarsRubysYamlReadsAsNumbersMustBeQuoted() {
    assertInvalid(":filter: 0:0\n", "line 1: :filter: 0:0 is read by YAML as a number (in base 60), not as text; quote it: '0:0'");
    assertInvalid(":short_address: [07:00.0]\n", "line 1: :short_address: 07:00.0 is read by YAML as a number (in base 60), not as text; quote it: '07:00.0'");
    assertInvalid(":nvidia_vendors:\n  - 10de\n  - 1234\n", "line 3: :nvidia_vendors: 1234 is read by YAML as a number, not as text; quote it: '1234'");
  }

  @Test
  void aRepeatedKeyKeepsItsLastValueAsRubysYamlDoes() throws Exception {
    assertThat(parse(":filter: '10de:*'\n:filter: '15b3:*'\n").filters()).extracting(IdFilter::text).containsExactly("15b3:*");
    assertThat(parse(":filter: &a '10de:*'\n:filter: '15b3:*'\n").filters()).extracting(IdFilter::text).containsExactly("15b3:*");
  }

  @Test
  void deviceNamesAreCaseInsensitive() throws Exception {
    Pattern p = parse(":device_name: ['h100']\n").deviceNames().get(0);

    assertThat(p.matcher("GH100 [H100 SXM5 80GB]").find()).isTrue();
  }

  @Test
  void unknownKeysAreWarnedAboutNotFatal() throws Exception {
    PciConf c = parse(":filter: '10de:*'\n:filters: '15b3:*'\n");

    assertThat(c.warnings()).containsExactly(FILE + ": line 2: unknown key ':filters' ignored (known: :filter, :short_address, :device_name, :nvidia_vendors, :passthrough_readiness)");
  }

  @Test
  void invalidYamlNamesTheLineAndColumn() {
    assertThatThrownBy(() -> parse(":filter: '10de:*'\n:short_address: [07:00.0\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid configuration " + FILE + ": line 3, column 1: not valid YAML: ");
  }

  @Test
  void everyInvalidValueIsNamedWithTheFix() {
    assertInvalid(":filter: '10de'\n", "line 1: :filter: filter '10de': at least two fields must be given, as in '10de:*'");
    assertInvalid(":filter: ''\n", "line 1: :filter: is empty; write '0:0' to report no device or '*:*' to report every device");
    assertInvalid(":filter:\n  - '10de:*'\n  - {a: b}\n", "line 3: :filter: must be text such as '10de:*', found a mapping");
    assertInvalid(":short_address: ['7:0.0']\n", "line 1: :short_address: '7:0.0' is not an lspci slot such as '07:00.0' (or '0001:07:00.0')");
    assertInvalid(":device_name: ['H100[']\n", "line 1: :device_name: 'H100[' is not a valid regular expression: Unclosed character class");
    assertInvalid(":nvidia_vendors: ['nvidia']\n", "line 1: :nvidia_vendors: 'nvidia' is not a vendor id as lspci prints it, such as '10de'");
    assertInvalid(":filter: '10de:*'\nfilter: '15b3:*'\n", "line 2: 'filter' is given twice (as ':filter' and 'filter'); keep one");
    assertInvalid("# only comments\n", "holds no settings; set at least  :filter: '10de:*'  (or '0:0' to report no device)");
    assertInvalid("- '10de:*'\n", "line 1: the top level must be a mapping such as  :filter: '10de:*'");
  }

  @Test
  void aFileThatIsNotUtf8NamesTheLineOfTheFirstBadByte(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("pci.conf");
    Files.write(f, new byte[] {':', 'f', 'i', 'l', 't', 'e', 'r', ':', ' ', '\'', '*', ':', '*', '\'', '\n', '#', ' ', (byte) 0xe9, '\n'});
    assertThatThrownBy(() -> PciConf.load(f))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid configuration " + f + ": line 2: byte 0xe9 is not UTF-8 text; save the file as UTF-8");
  }

  @Test
  void aMissingFileIsInvalid(@TempDir Path dir) {
    Path f = dir.resolve("pci.conf");
    assertThatThrownBy(() -> PciConf.load(f)).isInstanceOf(ConfigException.class).hasMessage("Invalid configuration " + f + ": the file does not exist");
  }

  @Test
  void anUnreadableFileIsInvalid(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("pci.conf");
    Files.createDirectory(f);
    assertThatThrownBy(() -> PciConf.load(f)).isInstanceOf(ConfigException.class).hasMessage("Invalid configuration " + f + ": cannot be read: is a directory, not a file; name the file itself, not its folder");
  }
}
