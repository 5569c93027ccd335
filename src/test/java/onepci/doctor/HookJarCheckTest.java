package onepci.doctor;

import static onepci.doctor.HeldOutHostsTest.entry;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import onepci.testing.Cli;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hook-jar}: the jar the libvirt hook runs and the jar the probe runs are one build. */
class HookJarCheckTest {

  static final String HOOK = "usr/lib/one-pci/one-pci.jar";
  static final String SYNCED = "var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar";

  @TempDir Path tmp;
  HealthyH100Host host;
  Path root;

  @BeforeEach
  void setUp() {
    host = HealthyH100Host.create(tmp.resolve("host"));
    root = host.sys().root();
  }

  /** A jar with one class file, its entries stamped with {@code time}, as two builds of the same sources differ. */
  static void jar(Path file, String classBytes, Instant time) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream j = new JarOutputStream(out)) {
      for (String name : new String[] {"META-INF/MANIFEST.MF", "onepci/cli/Main.class"}) {
        JarEntry e = new JarEntry(name);
        e.setLastModifiedTime(FileTime.from(time));
        j.putNextEntry(e);
        j.write((name.endsWith(".MF") ? "Manifest-Version: 1.0\n" : classBytes).getBytes(StandardCharsets.UTF_8));
        j.closeEntry();
      }
    }
  }

  Cli.Result doctor() {
    return Cli.run("doctor", "--json", "--sysfs-root", root.toString());
  }

  String hook() {
    return root.resolve(HOOK).toString();
  }

  String synced() {
    return root.resolve(SYNCED).toString();
  }

  @Test
  void twoBuildsOfTheSameSourcesAreTheSameBuild() throws IOException {
    jar(root.resolve(HOOK), "class bytes v1", Instant.parse("2026-12-01T10:00:00Z"));
    jar(root.resolve(SYNCED), "class bytes v1", Instant.parse("2026-12-02T18:30:00Z"));
    assertThat(Files.mismatch(root.resolve(HOOK), root.resolve(SYNCED))).isNotEqualTo(-1L);

    Cli.Result r = doctor();

    assertThat(r.status()).isZero();
    assertThat(r.out()).contains(entry("hook-jar", "pass", "host",
        hook() + " (the libvirt hook's) and " + synced() + " (the probe's) are the same build", ""));
  }

  @Test
  void differentBuildsWarnWithTheWayToInstallOneVersion() throws IOException {
    jar(root.resolve(HOOK), "class bytes v1", Instant.parse("2026-12-01T10:00:00Z"));
    jar(root.resolve(SYNCED), "class bytes v2", Instant.parse("2026-12-01T10:00:00Z"));

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains(entry("hook-jar", "warn", "host",
        hook() + " (the libvirt hook's) and " + synced() + " (the probe's) are different builds: "
            + "the hook binds devices by other rules than the probe that reports them",
        "install one version everywhere: on the front-end, in the one-pci checkout: ./install.sh && onehost sync -f; "
            + "then on this host, in a checkout of the same version: ./install.sh --host"));
  }

  @Test
  void filesThatAreNotJarsAreComparedByTheirBytes() {
    host.sys().write(HOOK, "not a jar, version 1");

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("{\"name\":\"hook-jar\",\"status\":\"warn\",\"subject\":\"host\",\"message\":\"" + hook()
        + " (the libvirt hook's) and " + synced() + " (the probe's) are different builds");
  }

  @Test
  void aMissingHookJarSaysToRunTheHostInstall() {
    host.sys().delete(HOOK);

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains(entry("hook-jar", "warn", "host",
        "no " + hook() + ": the libvirt hook has no root-owned jar to run (the probe's is " + synced() + ")",
        "on this host, in the one-pci checkout: ./install.sh --host"));
  }

  @Test
  void aMissingSyncedJarSaysToSyncFromTheFrontEnd() {
    host.sys().delete(SYNCED);

    Cli.Result r = doctor();

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains(entry("hook-jar", "warn", "host",
        "no " + synced() + ": the probe has no jar (the libvirt hook's is " + hook() + ")",
        "on the front-end: onehost sync -f"));
  }

  @Test
  void bothMissingNameBothAndBothFixes() {
    host.sys().delete(SYNCED).delete(HOOK);

    Cli.Result r = doctor();

    assertThat(r.out()).contains(entry("hook-jar", "warn", "host",
        "no " + hook() + " (the libvirt hook's jar) and no " + synced() + " (the probe's jar): one-pci is not installed on this host",
        "on the front-end: onehost sync -f; then on this host, in the one-pci checkout: ./install.sh --host"));
  }
}
