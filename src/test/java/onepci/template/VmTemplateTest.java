package onepci.template;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The OVMF 64-bit window asked for a device's BARs. */
class VmTemplateTest {

  static final long GIB = 1L << 30;
  static final long MIB = 1L << 20;

  @Test
  void barsThatFitOvmfsDefaultWindowNeedNothing() {
    assertThat(VmTemplate.mmio64(0)).isEmpty();
    assertThat(VmTemplate.mmio64(16 * GIB + 32 * MIB)).isEmpty();
    assertThat(VmTemplate.mmio64(32 * GIB)).isEmpty();
  }

  @Test
  void largerBarsGetThePowerOfTwoAboveTheirTotal() {
    assertThat(VmTemplate.mmio64(32 * GIB + 32 * MIB)).hasValue(65536);
    assertThat(VmTemplate.mmio64(64 * GIB)).hasValue(131072);
    assertThat(VmTemplate.mmio64(128 * GIB + 48 * MIB)).hasValue(262144);
  }
}
