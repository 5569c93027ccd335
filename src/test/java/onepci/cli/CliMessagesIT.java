package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files this user may not read, given to the packaged jar: the message says "permission denied"
 * and how to fix it, never {@code java.nio.file.AccessDeniedException}. Run as root, the jar runs
 * as nobody (root reads any file); otherwise as this user.
 */
class CliMessagesIT {

  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();
  static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  @TempDir Path tmp;
  Path root;
  Path secret;

  record Run(int status, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    root = FakeSysfs.create(tmp.resolve("host")).root();
    secret = Files.writeString(tmp.resolve("secret"), ":filter: '10de:*'\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString(ROOT ? "rw-------" : "---------"));
  }

  Run oneP(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (ROOT) {
      cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    byte[] err = p.getErrorStream().readAllBytes();
    byte[] out = p.getInputStream().readAllBytes();
    return new Run(p.waitFor(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void aPciConfThisUserMayNotRead() throws Exception {
    Run r = oneP("probe", "--config", secret.toString(), "--sysfs-root", root.toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("one-pci probe: Invalid configuration " + secret + ": cannot be read: permission denied; run as root, or let this user read it\n");
  }

  @Test
  void aPciIdsOrADomainXmlThisUserMayNotRead() throws Exception {
    Run ids = oneP("probe", "--filter", "*:*", "--pci-ids", secret.toString(), "--sysfs-root", root.toString());
    Run xml = oneP("vfio", "prepare", "--dry-run", "--xml", secret.toString(), "--sysfs-root", root.toString());

    assertThat(ids.status()).isEqualTo(1);
    assertThat(ids.err())
        .isEqualTo("one-pci probe: cannot report PCI devices: --pci-ids " + secret + ": permission denied; run as root, or let this user read it\n");
    assertThat(xml.status()).isEqualTo(1);
    assertThat(xml.out()).isEmpty();
    assertThat(xml.err()).isEqualTo("one-pci vfio: --xml " + secret + ": permission denied; run as root, or let this user read it\n");
  }

  @Test
  void theVersionOfThePackagedJar() throws Exception {
    Run r = oneP("--version");

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    // the packaged jar carries the same version.properties the build filtered into target/classes
    assertThat(r.out()).isEqualTo(Version.line() + "\n").doesNotContain("${");
  }
}
