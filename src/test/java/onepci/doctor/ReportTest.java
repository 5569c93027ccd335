package onepci.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The two renderings of a list of checks, byte for byte. */
class ReportTest {

  static final List<Check> CHECKS =
      List.of(
          Check.pass("iommu", "host", "2 IOMMU groups in /sys/kernel/iommu_groups"),
          Check.warn("iommu-pt", "host", "/proc/cmdline lacks iommu=pt", "sed -i 's/x/y/' /etc/default/grub"),
          Check.fail("group-viable", "0000:e1:00.0", "IOMMU group 13 is not viable", "driverctl set-override 0000:e1:00.1 vfio-pci"));

  @Test
  void jsonIsOneObjectWithTheChecksInOrderAndNoSpacesBetweenTokens() {
    assertThat(JsonReport.render(CHECKS))
        .isEqualTo(
            "{\"checks\":["
                + "{\"name\":\"iommu\",\"status\":\"pass\",\"subject\":\"host\",\"message\":\"2 IOMMU groups in /sys/kernel/iommu_groups\",\"fix\":\"\"},"
                + "{\"name\":\"iommu-pt\",\"status\":\"warn\",\"subject\":\"host\",\"message\":\"/proc/cmdline lacks iommu=pt\",\"fix\":\"sed -i 's/x/y/' /etc/default/grub\"},"
                + "{\"name\":\"group-viable\",\"status\":\"fail\",\"subject\":\"0000:e1:00.0\",\"message\":\"IOMMU group 13 is not viable\",\"fix\":\"driverctl set-override 0000:e1:00.1 vfio-pci\"}"
                + "],\"fixes\":[\"sed -i 's/x/y/' /etc/default/grub\",\"driverctl set-override 0000:e1:00.1 vfio-pci\"]}\n");
  }

  @Test
  void jsonStringsEscapeQuotesBackslashesAndControlCharacters() {
    Check c = Check.warn("x", "host", "a \"quoted\" C:\\path\nline\ttab\r\b\f\u0001\u007f end é ✓", "echo 'SUBSYSTEM==\"vfio\"'");

    assertThat(JsonReport.render(List.of(c)))
        .isEqualTo(
            "{\"checks\":[{\"name\":\"x\",\"status\":\"warn\",\"subject\":\"host\","
                + "\"message\":\"a \\\"quoted\\\" C:\\\\path\\nline\\ttab\\r\\b\\f\\u0001\\u007f end é ✓\","
                + "\"fix\":\"echo 'SUBSYSTEM==\\\"vfio\\\"'\"}],\"fixes\":[\"echo 'SUBSYSTEM==\\\"vfio\\\"'\"]}\n");
  }

  @Test
  void anEmptyListIsAnEmptyArray() {
    assertThat(JsonReport.render(List.of())).isEqualTo("{\"checks\":[],\"fixes\":[]}\n");
  }

  @Test
  void theTableFollowsEachWarningAndFailureWithItsFixAndEndsWithACount() {
    assertThat(TextReport.render(CHECKS, false))
        .isEqualTo(
            String.join(
                "\n",
                "STATUS  CHECK         SUBJECT       MESSAGE",
                "pass    iommu         host          2 IOMMU groups in /sys/kernel/iommu_groups",
                "warn    iommu-pt      host          /proc/cmdline lacks iommu=pt",
                "                                    fix: sed -i 's/x/y/' /etc/default/grub",
                "fail    group-viable  0000:e1:00.0  IOMMU group 13 is not viable",
                "                                    fix: driverctl set-override 0000:e1:00.1 vfio-pci",
                "",
                "3 checks: 1 passed, 1 warning, 1 failure",
                ""));
  }

  @Test
  void onATerminalOnlyTheStatusWordIsColoured() {
    String text = TextReport.render(CHECKS, true);

    assertThat(text.split("\n"))
        .containsSubsequence(
            "\033[32mpass  \033[0m  iommu         host          2 IOMMU groups in /sys/kernel/iommu_groups",
            "\033[33mwarn  \033[0m  iommu-pt      host          /proc/cmdline lacks iommu=pt",
            "\033[1;31mfail  \033[0m  group-viable  0000:e1:00.0  IOMMU group 13 is not viable");
    assertThat(text.replaceAll("\033\\[[0-9;]*m", "")).isEqualTo(TextReport.render(CHECKS, false));
  }

  @Test
  void theExitStatusIsTheWorstCheck() {
    assertThat(Doctor.exitStatus(CHECKS.subList(0, 1))).isZero();
    assertThat(Doctor.exitStatus(CHECKS.subList(0, 2))).isEqualTo(1);
    assertThat(Doctor.exitStatus(CHECKS)).isEqualTo(2);
    assertThat(Doctor.exitStatus(List.of(CHECKS.get(2), CHECKS.get(0)))).isEqualTo(2);
  }
}
