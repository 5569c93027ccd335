package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernel CPU lists and the {@code resource} file. */
class CpuListAndBarTest {

  @Test
  void cpuListsHoldRangesAndSingles() {
    CpuList l = CpuList.parse("0-3,8,10-11\n");

    assertThat(l.count()).isEqualTo(7);
    assertThat(l.toArray()).containsExactly(0, 1, 2, 3, 8, 10, 11);
    assertThat(CpuList.parse("").isEmpty()).isTrue();
    assertThat(CpuList.parse("8-15,24-31")).isEqualTo(CpuList.parse("8-15,24-31"));
  }

  @Test
  void aBrokenCpuListIsRefusedWithItsText() {
    assertThatThrownBy(() -> CpuList.parse("0-x")).hasMessage("'0-x' is not a CPU list such as 0-15,32-47");
    assertThatThrownBy(() -> CpuList.parse("5-2")).hasMessage("'5-2' is not a CPU list: range 5-2 runs backwards");
  }

  @Test
  void theResourceFileGivesTheBarsInUse() {
    List<PciBar> bars =
        PciBar.parse(
            "0x00000000fb000000 0x00000000fbffffff 0x0000000000040200\n"
                + "0x0000220000000000 0x0000221fffffffff 0x000000000014220c\n"
                + "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                + "0x0000000000001000 0x000000000000107f 0x0000000000040101\n"
                + "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                + "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                + "0x00000000fc000000 0x00000000fc07ffff 0x0000000000046200\n");

    assertThat(bars).extracting(PciBar::index).containsExactly(0, 1, 3);
    assertThat(bars.get(0).size()).isEqualTo(16L << 20);
    assertThat(bars.get(0).is64Bit()).isFalse();
    assertThat(bars.get(1).size()).isEqualTo(128L << 30);
    assertThat(bars.get(1).is64Bit()).isTrue();
    assertThat(bars.get(1).isPrefetchable()).isTrue();
    assertThat(bars.get(2).isMemory()).isFalse();
  }

  @Test
  void aBrokenResourceLineIsNamed() {
    assertThatThrownBy(() -> PciBar.parse("0x0 0x1\n")).hasMessage("resource line 1 '0x0 0x1' is not 'start end flags'");
  }
}
