package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PciAddressTest {

  @Test
  void theThreeSpellings() {
    PciAddress a = PciAddress.parse("0000:e1:00.0");
    assertThat(a.toString()).isEqualTo("0000:e1:00.0");
    assertThat(a.shortAddress()).isEqualTo("e1:00.0");
    assertThat(a.oneAddress()).isEqualTo("0000:e1:00:0");

    PciAddress vmd = PciAddress.parse("10000:01:00.3");
    assertThat(vmd.toString()).isEqualTo("10000:01:00.3");
    assertThat(vmd.shortAddress()).isEqualTo("10000:01:00.3");
    assertThat(vmd.oneAddress()).isEqualTo("10000:01:00:3");
  }

  @Test
  void acceptsOpenNebulaAndLspciFormsAndUppercase() {
    assertThat(PciAddress.parse("0000:E1:00:1")).isEqualTo(new PciAddress(0, 0xe1, 0, 1));
    assertThat(PciAddress.parse("e1:00.1")).isEqualTo(new PciAddress(0, 0xe1, 0, 1));
  }

  @Test
  void refusesWhatIsNotAnAddress() {
    assertThatThrownBy(() -> PciAddress.parse("e1:00"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'e1:00' is not a PCI address (expected DDDD:BB:SS.F, such as 0000:e1:00.0)");
    assertThatThrownBy(() -> PciAddress.parse("0000:e1:20.0")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PciAddress.parse("0000:e1:00.8")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sortsByDomainBusSlotFunction() {
    List<PciAddress> l = new ArrayList<>(List.of(
        PciAddress.parse("0001:00:00.0"), PciAddress.parse("0000:e1:00.1"), PciAddress.parse("0000:e1:00.0"), PciAddress.parse("0000:0a:1f.7")));
    l.sort(null);
    assertThat(l).extracting(PciAddress::toString).containsExactly("0000:0a:1f.7", "0000:e1:00.0", "0000:e1:00.1", "0001:00:00.0");
  }
}
