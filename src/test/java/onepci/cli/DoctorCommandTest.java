package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code one-pci doctor} as a person or a script runs it: output and exit status. */
class DoctorCommandTest {

  @TempDir Path tmp;

  @Test
  void theRightHostPassesWithExitZero() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("STATUS  CHECK               SUBJECT       MESSAGE\n").endsWith("\n17 checks: 17 passed, 0 warnings, 0 failures\n");
    assertThat(r.out()).doesNotContain("fix:").doesNotContain("\033[");
  }

  @Test
  void aHostWithoutIommuExitsTwoAndItsJsonSaysSo() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro quiet\n");

    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out()).startsWith("{\"checks\":[{\"name\":\"iommu\",\"status\":\"fail\",\"subject\":\"host\",\"message\":\"");
    assertThat(r.out()).contains("\"name\":\"kernel-cmdline\",\"status\":\"fail\"").contains("intel_iommu=on").endsWith("]}\n");
    assertThat(r.out().lines()).hasSize(1);
  }

  @Test
  void theJsonOfTheRightHostHasEveryCheckPassing() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));

    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("{\"name\":\"iommu\",\"status\":\"pass\",\"subject\":\"host\",");
    assertThat(r.out().split("\"status\":\"pass\"", -1)).hasSize(18);
  }

  @Test
  void aWarningAloneExitsOne() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().write("proc/cmdline", "ro intel_iommu=on\n");

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "warn    iommu-pt            host          " + h.sys().root().resolve("proc/cmdline")
                + " lacks iommu=pt: the host's own devices go through IOMMU translation, slowing host I/O\n"
                + "                                          fix: sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&iommu=pt /' /etc/default/grub && update-grub && reboot\n")
        .endsWith("\n17 checks: 16 passed, 1 warning, 0 failures\n");
  }

  @Test
  void theConfigOptionIsJudgedInsteadOfTheSyncedOne() throws Exception {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    Path conf = tmp.resolve("pci.conf");
    java.nio.file.Files.writeString(conf, ":filter: '0:0'\n");

    Cli.Result r = Cli.run("doctor", "--json", "--config", conf.toString(), "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out()).contains("{\"name\":\"probe-filter\",\"status\":\"fail\",\"subject\":\"host\",\"message\":\"filter '0:0' in " + conf);
  }

  @Test
  void onATerminalTheStatusIsColoured() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            Map.of(),
            true);

    int status = new Main().run(List.of("doctor", "--sysfs-root", h.sys().root().toString()), io);

    assertThat(status).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\n\033[32mpass  \033[0m  iommu ");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    Cli.Result r = Cli.run("doctor", "--jsn");

    assertThat(r.status()).isEqualTo(64);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci doctor: unknown option --jsn (known: --json, --sysfs-root, --config)\n"
                + "usage: one-pci doctor [--json] [--sysfs-root DIR] [--config FILE]\n");
  }

  @Test
  void theUsageListsDoctorAndTemplate() {
    Cli.Result r = Cli.run("--help");

    assertThat(r.out())
        .contains("  one-pci doctor [--json] [--sysfs-root DIR] [--config FILE]\n")
        .contains("  one-pci template ADDRESS [--sysfs-root DIR] [--vcpu N] [--memory MB] [--pin core|none]\n");
  }
}
