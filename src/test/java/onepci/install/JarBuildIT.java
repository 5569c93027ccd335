package onepci.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import onepci.install.InstallScript.Run;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front-end install builds the jar when it is missing or older than the sources: shown on a
 * scratch checkout whose {@code mvn} is a stand-in that notes its arguments.
 */
class JarBuildIT {

  static final Instant BEFORE = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant AFTER = Instant.parse("2026-02-01T00:00:00Z");
  /** What the stand-in mvn "builds": the real jar, so that install.sh can run it. */
  static final Path BUILT = Path.of("target/one-pci.jar").toAbsolutePath();

  @TempDir Path tmp;
  Path checkout;
  Path remotes;
  Path mvnLog;
  InstallScript script;

  @BeforeEach
  void setUp() throws IOException {
    checkout = tmp.resolve("checkout");
    copy(InstallScript.REPO_SCRIPT, checkout.resolve("install.sh"));
    copy(Path.of("probe/pci-probe"), checkout.resolve("probe/pci-probe"));
    copy(Path.of("host/java.sh"), checkout.resolve("host/java.sh"));
    copy(Path.of("frontend/one-pci"), checkout.resolve("frontend/one-pci"));
    copy(Path.of("remotes/etc/im/kvm-probes.d/pci.conf"), checkout.resolve("remotes/etc/im/kvm-probes.d/pci.conf"));
    write(checkout.resolve("pom.xml"), "<project/>\n", BEFORE);
    write(checkout.resolve("src/main/java/Main.java"), "class Main {}\n", BEFORE);
    remotes = tmp.resolve("one/remotes");
    Files.createDirectories(remotes.resolve("im/kvm-probes.d/host/system"));
    mvnLog = tmp.resolve("mvn.log");
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    // the front-end's one-pci command goes to a scratch folder, never the real /usr/bin
    script = InstallScript.at(checkout.resolve("install.sh")).env("PATH", bin + ":" + System.getenv("PATH"))
        .withArgs("--bin", tmp.resolve("one/bin").toString());
    fakeMvn(0);
  }

  void fakeMvn(int status) throws IOException {
    Path mvn = tmp.resolve("bin/mvn");
    Files.writeString(
        mvn,
        "#!/bin/sh\n"
            + "echo \"$(pwd) $*\" >> " + mvnLog + "\n"
            + (status == 0 ? "mkdir -p target && cp " + BUILT + " target/one-pci.jar\n" : "echo 'BUILD FAILURE' >&2\n")
            + "exit " + status + "\n");
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
  }

  static void write(Path p, String content, Instant time) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, StandardCharsets.UTF_8);
    Files.setLastModifiedTime(p, FileTime.from(time));
  }

  Path installedJar() {
    return remotes.resolve("im/kvm-probes.d/host/system/one-pci.jar");
  }

  @Test
  void aMissingJarIsBuiltFirst() throws Exception {
    Run run = script.run("--remotes", remotes.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("building " + checkout.resolve("target/one-pci.jar") + " (mvn -B -q package -DskipTests)\n");
    assertThat(mvnLog).hasContent(checkout + " -B -q package -DskipTests");
    assertThat(installedJar()).hasSameBinaryContentAs(BUILT);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void aJarOlderThanASourceFileIsRebuilt() throws Exception {
    write(checkout.resolve("target/one-pci.jar"), "old build\n", BEFORE);
    write(checkout.resolve("src/main/java/Main.java"), "class Main { int changed; }\n", AFTER);

    Run run = script.run("--remotes", remotes.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(mvnLog).hasContent(checkout + " -B -q package -DskipTests");
    assertThat(installedJar()).hasSameBinaryContentAs(BUILT);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void aJarNewerThanTheSourcesAndPomIsUsedAsItIs() throws Exception {
    Path current = checkout.resolve("target/one-pci.jar");
    copy(BUILT, current);
    Files.setLastModifiedTime(current, FileTime.from(AFTER));

    Run run = script.run("--remotes", remotes.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(mvnLog).doesNotExist();
    assertThat(installedJar()).hasSameBinaryContentAs(BUILT);
    assertThat(Files.getLastModifiedTime(current).toInstant()).isEqualTo(AFTER);
  }

  @Test
  void aFailedBuildStopsTheInstallBeforeAnyChange() throws Exception {
    write(checkout.resolve("target/one-pci.jar"), "old build\n", BEFORE);
    write(checkout.resolve("pom.xml"), "<project><!-- changed --></project>\n", AFTER);
    fakeMvn(1);
    Map<String, String> pristine = TreeSnapshot.withTimes(remotes.getParent());

    Run run = script.run("--remotes", remotes.toString());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "BUILD FAILURE\n"
                + "install.sh: the build failed: fix it, or build by hand with 'mvn package', then run again\n"
                + "install.sh: rolled back: " + remotes + " is as it was before this run\n");
    assertThat(TreeSnapshot.withTimes(remotes.getParent())).isEqualTo(pristine);
  }

  @Test
  void aDryRunSaysItWouldBuildAndBuildsNothing() throws Exception {
    Run run = script.run("--remotes", remotes.toString(), "--dry-run");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith(
            "would build " + checkout.resolve("target/one-pci.jar") + " (mvn -B -q package -DskipTests)\n"
                + "would add " + remotes.resolve("im/kvm-probes.d/host/system/pci-probe"));
    assertThat(run.out()).contains("would add " + installedJar() + " (mode 644) once built\n");
    assertThat(mvnLog).doesNotExist();
    assertThat(checkout.resolve("target")).doesNotExist();
  }
}
