package onepci.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as the real-kernel bed runs it ({@code java -jar one-pci.jar doctor --json}),
 * matched the way that bed matches it: with grep, on the exact JSON spelling.
 */
class DoctorJarIT {

  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();

  @TempDir Path tmp;

  record Run(int status, String out) {}

  Run doctor(Path root) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(List.of(java.toString(), "-jar", JAR.toString(), "doctor", "--json", "--sysfs-root", root.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  int grep(String pattern, String text) throws Exception {
    Process p = new ProcessBuilder("grep", "-qF", pattern).start();
    p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    return p.waitFor();
  }

  @Test
  void anIommuHostPassesTheBedsGrep() throws Exception {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));

    Run r = doctor(h.sys().root());

    assertThat(r.status()).isZero();
    assertThat(grep("\"name\":\"iommu\",\"status\":\"pass\"", r.out())).isZero();
    assertThat(grep("\"status\":\"fail\"", r.out())).isEqualTo(1);
  }

  @Test
  void aHostWithoutIommuFailsTheBedsGrep() throws Exception {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/kernel/iommu_groups").write("proc/cmdline", "console=ttyS0\n");

    Run r = doctor(h.sys().root());

    assertThat(r.status()).isEqualTo(2);
    assertThat(grep("\"name\":\"iommu\",\"status\":\"fail\"", r.out())).isZero();
    assertThat(grep("\"name\":\"iommu\",\"status\":\"pass\"", r.out())).isEqualTo(1);
  }
}
