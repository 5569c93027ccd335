package onepci.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import onepci.sysfs.PciId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** lspci's {@code -d} syntax, as pciutils 3.9 accepts and rejects it. */
class IdFilterTest {

  static final PciId H100 = new PciId(0x10de, 0x2330, 0x030200);

  @ParameterizedTest(name = "''{0}'' matches the H100: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10de:*        | true",
        "10de:         | true",
        "10DE:2330     | true",
        "010de:*       | true",
        ":2330         | true",
        "*:*           | true",
        ":             | true",
        "::            | true",
        "*:*:*         | true",
        "10de:*:0302   | true",
        "10de::0302:00 | true",
        "10de::0302:01 | false",
        "10de::03      | false",
        "10de:2331     | false",
        "0:0           | false",
        "15b3:*        | false",
      })
  void matchesLikeLspci(String filter, boolean matches) throws InvalidFilterException {
    assertThat(IdFilter.parse(filter).matches(H100)).isEqualTo(matches);
  }

  @ParameterizedTest(name = "''{0}'' is refused: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10de          | filter '10de': at least two fields must be given, as in '10de:*'",
        "10de:1:2:3:4  | filter '10de:1:2:3:4': too many fields; the form is vendor:device[:class[:prog-if]]",
        "10000:*       | filter '10000:*': invalid vendor ID '10000': larger than ffff",
        "0x10de:*      | filter '0x10de:*': invalid vendor ID '0x10de': hexadecimal digits or '*' expected",
        "-1:*          | filter '-1:*': invalid vendor ID '-1': hexadecimal digits or '*' expected",
        "10de:g        | filter '10de:g': invalid device ID 'g': hexadecimal digits or '*' expected",
        "10de:*:10000  | filter '10de:*:10000': invalid class code '10000': larger than ffff",
        "10de:*:0302:100 | filter '10de:*:0302:100': invalid programming interface '100': larger than ff",
      })
  void refusesWhatLspciRefuses(String filter, String message) {
    assertThatThrownBy(() -> IdFilter.parse(filter)).isInstanceOf(InvalidFilterException.class).hasMessage(message);
  }
}
