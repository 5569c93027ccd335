package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HexTest {

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 6, 0xf, 0x10, 0xff, 0x100, 0x10de, 0xffff, 0x10000, 0x030200, 0x7fffffff, -1, Integer.MIN_VALUE})
  void spellsWhatStringFormatSpells(int value) {
    for (int digits = 1; digits <= 8; digits++) {
      assertThat(Hex.of(value, digits)).isEqualTo(String.format("%0" + digits + "x", value));
    }
  }
}
