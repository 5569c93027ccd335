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
    assertThat(r.out())
        .startsWith("host: 1 NVIDIA GPU (10de:2330); IOMMU on, 2 groups\n\nSTATUS  CHECK               SUBJECT       MESSAGE\n")
        .endsWith("\n17 checks: 17 passed, 0 warnings, 0 failures\n");
    assertThat(r.out()).doesNotContain("fix:").doesNotContain("\033[");
  }

  @Test
  void aHostWithoutIommuExitsTwoAndItsJsonSaysSo() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro quiet\n");

    Cli.Result r = Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out()).startsWith("{\"checks\":[{\"name\":\"iommu\",\"status\":\"fail\",\"subject\":\"host\",\"message\":\"");
    assertThat(r.out()).contains("\"name\":\"kernel-cmdline\",\"status\":\"fail\"").contains("intel_iommu=on")
        .endsWith(",\"summary\":{\"text\":\"1 NVIDIA GPU (10de:2330); IOMMU off (no groups in " + h.sys().root().resolve("sys/kernel/iommu_groups")
            + ")\",\"nvidia_gpus\":1,\"models\":[\"10de:2330\"],\"iommu\":\"off\",\"iommu_groups\":0}}\n");
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

  static final String INDENT = " ".repeat(42);
  private static final String SHORT_INDENT = " ".repeat(38);
  static final String GRUB_INTEL =
      "sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&intel_iommu=on /' /etc/default/grub && update-grub && reboot";

  static Cli.Result onTerminal(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            env,
            true);
    int status = new Main().run(List.of(args), io);
    return new Cli.Result(status, out.toString(StandardCharsets.UTF_8), "");
  }

  @Test
  void noColorTurnsColourOffOnATerminal() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().write("proc/cmdline", "ro intel_iommu=on\n");

    Cli.Result plain = onTerminal(Map.of("NO_COLOR", "1"), "doctor", "--sysfs-root", h.sys().root().toString());
    Cli.Result empty = onTerminal(Map.of("NO_COLOR", ""), "doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(plain.status()).isEqualTo(1);
    assertThat(plain.out()).doesNotContain("\033[").contains("\npass    iommu ").contains("\nwarn    iommu-pt ");
    assertThat(empty.out()).contains("\n\033[32mpass  \033[0m  iommu ").contains("\n\033[33mwarn  \033[0m  iommu-pt ");
  }

  @Test
  void theSummaryNamesTheGpuModelsFromPciIdsUnderTheRoot() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    HealthyH100Host.h100(h.sys(), "0000:e2:00.0", h.port(), 14).driver("vfio-pci");
    h.sys().write("usr/share/misc/pci.ids", "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n");

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.out()).startsWith("host: 2 NVIDIA GPUs (2 x GH100 [H100 SXM5 80GB]); IOMMU on, 3 groups\n\nSTATUS ");
    Cli.Result json = Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());
    assertThat(json.out())
        .endsWith(",\"summary\":{\"text\":\"2 NVIDIA GPUs (2 x GH100 [H100 SXM5 80GB]); IOMMU on, 3 groups\",\"nvidia_gpus\":2,"
            + "\"models\":[\"GH100 [H100 SXM5 80GB]\",\"GH100 [H100 SXM5 80GB]\"],\"iommu\":\"on\",\"iommu_groups\":3}}\n");
  }

  @Test
  void aHostWithoutAnNvidiaGpuSaysSo() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/bus/pci/devices/" + HealthyH100Host.GPU);

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isZero();
    assertThat(r.out()).startsWith("host: no NVIDIA GPU found; IOMMU on, 2 groups\n\nSTATUS ");
    assertThat(Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString()).out())
        .endsWith(",\"summary\":{\"text\":\"no NVIDIA GPU found; IOMMU on, 2 groups\",\"nvidia_gpus\":0,\"models\":[],\"iommu\":\"on\",\"iommu_groups\":2}}\n");
  }

  @Test
  void aFixIsPrintedOnceAndLaterChecksPointBackToIt() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro iommu=pt\n");
    h.sys().delete(h.sys().root().relativize(h.gpu().dir().resolve("iommu_group")).toString());
    Path groups = h.sys().root().resolve("sys/kernel/iommu_groups");
    Path cmdline = h.sys().root().resolve("proc/cmdline");

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out())
        .startsWith("host: 1 NVIDIA GPU (10de:2330); IOMMU off (no groups in " + groups + ")\n\n")
        .contains(
            "fail    iommu           host          " + groups
                + " does not exist: the IOMMU is off. Boot the kernel with intel_iommu=on and enable Intel VT-d in the firmware setup\n"
                + SHORT_INDENT + "fix: " + GRUB_INTEL + "\n"
                + "fail    kernel-cmdline  host          " + cmdline + " lacks intel_iommu=on, which turns on Intel VT-d\n"
                + SHORT_INDENT + "fix: the same as for iommu on host above\n")
        .contains(
            "fail    passable        0000:e1:00.0  not passable, although the probe offers it to VMs (a VM given it would not start):"
                + " the IOMMU is off (no IOMMU groups on this host)\n"
                + SHORT_INDENT + "fix: the same as for iommu on host above\n");
    assertThat(r.out().split("update-grub", -1)).hasSize(2);
    Cli.Result json = Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());
    assertThat(json.out()).contains("],\"fixes\":[\"" + GRUB_INTEL.replace("\"", "\\\"") + "\"],\"summary\":");
  }

  @Test
  void aGpuOnNouveauGetsItsOverrideOnce() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.gpu().driver("nouveau").driverOverride("(null)");
    h.sys().delete("etc/driverctl.d/pci-" + HealthyH100Host.GPU);

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out())
        .contains(
            "warn    driver              0000:e1:00.0  10de:2330 is bound to nouveau, not vfio-pci: the host is using it\n"
                + INDENT + "fix: driverctl set-override 0000:e1:00.0 vfio-pci\n"
                + "pass    group-viable        0000:e1:00.0  IOMMU group 13 (2 devices) is viable: no other endpoint is on a host driver\n"
                + "fail    nvidia-host-driver  0000:e1:00.0  the GPU is on the host driver nouveau although the probe offers it to VMs: QEMU cannot take it while nouveau holds it\n"
                + INDENT + "fix: the same as for driver on 0000:e1:00.0 above\n");
    assertThat(r.out().split("driverctl set-override", -1)).hasSize(2);
  }

  @Test
  void vfioPciNotLoadedWithTheHookInstalledIsAWarningAndExitsOne() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("host"));
    h.sys().delete("sys/module/vfio_pci");

    Cli.Result r = Cli.run("doctor", "--sysfs-root", h.sys().root().toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "warn    vfio-module         host          vfio-pci is not loaded (no " + h.sys().root().resolve("sys/module/vfio_pci")
                + "); the libvirt hook " + h.sys().root().resolve("etc/libvirt/hooks/qemu.d/one-pci")
                + " loads it when a VM with a PCI device starts\n"
                + INDENT + "fix: modprobe vfio-pci\n")
        .endsWith("\n17 checks: 16 passed, 1 warning, 0 failures\n");
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
        .contains("  one-pci template ADDRESS...|--board [--sysfs-root DIR] [--config FILE] [--vcpu N] [--memory MB] [--pin core|none]\n");
  }
}
