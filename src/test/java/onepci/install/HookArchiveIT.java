package onepci.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import onepci.install.InstallScript.Run;
import onepci.vfio.TestHost;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive {@code install.sh --host} makes beside the installed jar, and which the
 * hook and the one-pci command map only when root alone can change it. The Java is a folder
 * standing in for a JDK: this JVM's release file and a {@code bin/java} that notes its arguments
 * and runs this JVM, so what the hook passes the JVM can be read back.
 */
class HookArchiveIT {

  static final Path REAL_JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  static final String PREPARED = "one-pci vfio: one-7: 0000:04:00.0: held as it is (vfio-pci)\n";
  static final String XML = "<domain type='kvm'><name>one-7</name><devices>\n"
      + "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>"
      + "</source></hostdev>\n</devices></domain>\n";

  @TempDir Path tmp;
  Path root;
  Path jdk;
  Path args;
  TestHost host;

  /** one-pci-BUILD.jsa, BUILD the JAVA_RUNTIME_VERSION in the release file of the Java at HOME. */
  static String archiveName(Path home) {
    try (Stream<String> lines = Files.lines(home.resolve("release"))) {
      String build = lines.filter(l -> l.startsWith("JAVA_RUNTIME_VERSION=")).findFirst().orElseThrow()
          .replaceFirst("^JAVA_RUNTIME_VERSION=\"?", "").replaceFirst("\"$", "");
      return "one-pci-" + build + ".jsa";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(tmp.resolve("host"));
    host = new TestHost(tmp.resolve("sysfs"));
    jdk = tmp.resolve("jdk");
    args = tmp.resolve("java.args");
    fakeJdk(jdk, Files.readString(REAL_JAVA.getParent().getParent().resolve("release")), "");
  }

  /** A JDK folder with RELEASE as its release file; its java runs SCRIPT first, then this JVM. */
  void fakeJdk(Path home, String release, String script) throws IOException {
    Files.createDirectories(home.resolve("bin"));
    Files.writeString(home.resolve("release"), release);
    Path java = home.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + args + "'\n" + script + "exec '" + REAL_JAVA + "' \"$@\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  Run install(String... more) {
    List<String> a = new ArrayList<>(List.of("--host", "--root", root.toString(), "--jar", HostInstallIT.JAR.toString()));
    a.addAll(List.of(more));
    return InstallScript.repo().env("JAVA_HOME", jdk.toString()).run(a.toArray(String[]::new));
  }

  Path lib() {
    return root.resolve("usr/lib/one-pci");
  }

  Path archive() {
    return lib().resolve(archiveName(jdk));
  }

  /** Runs the installed hook as libvirt does, for prepare begin of one-7 on the fake host; the arguments java got are in {@link #args}. */
  Run hook(String op, String sub) throws Exception {
    Files.deleteIfExists(args);
    Path in = tmp.resolve("domain.xml");
    Files.writeString(in, XML);
    ProcessBuilder pb = new ProcessBuilder("dash", root.resolve("etc/libvirt/hooks/qemu.d/one-pci").toString(), "one-7", op, sub, "-")
        .redirectInput(in.toFile());
    pb.environment().keySet().removeIf(name -> name.startsWith("ONE_PCI_") || name.startsWith("JAVA_") || name.startsWith("_JAVA"));
    pb.environment().put("ONE_PCI_ROOT", root.toString());
    pb.environment().put("ONE_PCI_SYSFS_ROOT", host.paths.root().toString());
    pb.environment().put("JAVA_HOME", jdk.toString());
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out, err);
  }

  String javaArgs() throws IOException {
    return Files.readString(args);
  }

  String mapped() {
    return "-XX:SharedArchiveFile=" + archive() + " -Xlog:cds=off -Xlog:cds+dynamic=off -jar " + lib().resolve("one-pci.jar");
  }

  @Test
  void installMakesTheArchiveBesideTheJarAndTheHookAndTheCommandMapIt() throws Exception {
    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).contains("add " + archive() + " (mode 644" + (isRoot() ? ", owner root:root" : "") + ")\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archive()))).isEqualTo("rw-r--r--");
    assertThat(Files.getAttribute(archive(), "unix:uid")).isEqualTo(Files.getAttribute(tmp, "unix:uid"));
    try (Stream<Path> s = Files.list(lib())) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("one-pci.jar", "java.sh", archiveName(jdk));
    }
    // the JVM itself can map it for the installed jar: -Xshare:on refuses to start otherwise
    Process check = new ProcessBuilder(REAL_JAVA.toString(), "-Xshare:on", "-XX:SharedArchiveFile=" + archive(), "-jar",
        lib().resolve("one-pci.jar").toString(), "vfio", "status", "--sysfs-root", host.paths.root().toString()).redirectErrorStream(true).start();
    String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor()).as(said).isZero();

    Run prepare = hook("prepare", "begin");

    assertThat(prepare.status()).as(prepare.err()).isZero();
    assertThat(prepare.err()).startsWith(PREPARED);
    assertThat(javaArgs()).contains(mapped() + " vfio prepare --domain one-7 --xml - --sysfs-root ");
    Run release = hook("release", "end");
    assertThat(release.status()).as(release.err()).isZero();
    assertThat(javaArgs()).contains(mapped() + " vfio release --domain one-7 --xml - --sysfs-root ");
  }

  @Test
  void theOnePciCommandMapsItToo() throws Exception {
    assertThat(install().status()).isZero();
    Files.deleteIfExists(args);
    ProcessBuilder pb = new ProcessBuilder("dash", root.resolve("usr/sbin/one-pci").toString(), "vfio", "status", "--sysfs-root",
        host.paths.root().toString()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(name -> name.startsWith("ONE_PCI_"));
    pb.environment().put("ONE_PCI_ROOT", root.toString());
    pb.environment().put("JAVA_HOME", jdk.toString());
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    p.getInputStream().readAllBytes();

    assertThat(p.waitFor()).as(err).isZero();
    assertThat(err).isEmpty();
    assertThat(javaArgs()).isEqualTo("-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto " + mapped()
        + " vfio status --sysfs-root " + host.paths.root() + "\n");
  }

  /**
   * The hook's output with no archive at all: what an archive that is not used must give. Run twice, prepare and
   * release, so that the fake host is as the next prepare finds it (the second says less: /dev/vfio is set already).
   */
  Run withoutArchive() throws Exception {
    Path saved = tmp.resolve("saved.jsa");
    Files.move(archive(), saved);
    assertThat(hook("prepare", "begin").status()).isZero();
    assertThat(hook("release", "end").status()).isZero();
    Run run = hook("prepare", "begin");
    assertThat(javaArgs()).doesNotContain("SharedArchiveFile");
    assertThat(hook("release", "end").status()).isZero();
    Files.move(saved, archive());
    return run;
  }

  @Test
  void anArchiveAnotherUserOwnsIsNotMappedAndTheHookStillWorks() throws Exception {
    assertThat(isRoot()).as("planting a file owned by another user needs root: run this test as root (CI does)").isTrue();
    assertThat(install().status()).isZero();
    Run plain = withoutArchive();
    Files.setOwner(archive(), archive().getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

    Run run = hook("prepare", "begin");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo(plain.err()).startsWith(PREPARED);
    assertThat(javaArgs()).doesNotContain("SharedArchiveFile");
  }

  @Test
  void aGroupWritableArchiveIsNotMappedAndTheHookStillWorks() throws Exception {
    assertThat(install().status()).isZero();
    Run plain = withoutArchive();
    Files.setPosixFilePermissions(archive(), PosixFilePermissions.fromString("rw-rw-r--"));

    Run run = hook("prepare", "begin");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo(plain.err()).startsWith(PREPARED);
    assertThat(javaArgs()).doesNotContain("SharedArchiveFile");
  }

  @Test
  void anArchiveLinkedIntoAWorldWritableFolderIsNotMappedAndTheHookStillWorks() throws Exception {
    assertThat(install().status()).isZero();
    Run plain = withoutArchive();
    Path open = Files.createDirectories(tmp.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.move(archive(), open.resolve("one-pci.jsa"));
    Files.createSymbolicLink(archive(), open.resolve("one-pci.jsa"));

    Run run = hook("prepare", "begin");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo(plain.err()).startsWith(PREPARED);
    assertThat(javaArgs()).doesNotContain("SharedArchiveFile");
  }

  @Test
  void anArchiveThatNoLongerMatchesTheJarIsIgnoredWithoutAWord() throws Exception {
    assertThat(install().status()).isZero();
    Run plain = withoutArchive();
    // the jar's time changed by hand: the JVM finds the archive was made for another jar
    Path jar = lib().resolve("one-pci.jar");
    Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 3_600_000));

    Run run = hook("prepare", "begin");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(plain.out()).isEmpty();
    assertThat(run.err()).isEqualTo(plain.err());
    assertThat(javaArgs()).contains(mapped());
  }

  @Test
  void aJavaThatCannotMakeTheArchiveIsAWarningAndTheInstallGoesOn() throws Exception {
    fakeJdk(jdk, Files.readString(jdk.resolve("release")),
        "case $* in *ArchiveClassesAtExit*) echo 'Error occurred during initialization of VM' >&2; exit 1 ;; esac\n");

    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo("install.sh: warning: no class-data archive for the hook: " + jdk + "/bin/java did not make one"
        + " (Error occurred during initialization of VM); the hook starts without one\n");
    assertThat(archive()).doesNotExist();
    assertThat(run.out()).contains("one-pci installed in " + root + ": 6 change(s)");
    Run prepare = hook("prepare", "begin");
    assertThat(prepare.status()).as(prepare.err()).isZero();
    assertThat(javaArgs()).doesNotContain("SharedArchiveFile");
  }

  @Test
  void aNewJarRemakesTheArchiveAndTheSameJarKeepsIt() throws Exception {
    assertThat(install().status()).isZero();
    long made = Files.getLastModifiedTime(archive()).toMillis();
    // the same bytes again (its owner put back, say): the jar keeps its time, the archive stays
    Files.setPosixFilePermissions(lib().resolve("one-pci.jar"), PosixFilePermissions.fromString("rw-------"));
    Run same = install();
    assertThat(same.out()).startsWith("replace " + lib().resolve("one-pci.jar")).contains(": 1 change(s)");
    assertThat(Files.getLastModifiedTime(archive()).toMillis()).isEqualTo(made);
    assertThat(Files.getLastModifiedTime(lib().resolve("one-pci.jar"))).isEqualTo(Files.getLastModifiedTime(HostInstallIT.JAR));

    Path other = tmp.resolve("one-pci-2.jar");
    Files.copy(HostInstallIT.JAR, other);
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(other)) {
      Files.writeString(zip.getPath("another-build"), "another build");
    }
    Run run = InstallScript.repo().env("JAVA_HOME", jdk.toString()).run("--host", "--root", root.toString(), "--jar", other.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("replace " + lib().resolve("one-pci.jar") + " (mode 644" + (isRoot() ? ", owner root:root" : "") + ")\n"
        + "replace " + archive() + " (mode 644" + (isRoot() ? ", owner root:root" : "") + ")\n"
        + "one-pci installed in " + root + ": 2 change(s)");
    Run prepare = hook("prepare", "begin");
    assertThat(prepare.status()).as(prepare.err()).isZero();
    assertThat(javaArgs()).contains(mapped());
  }

  @Test
  void anotherJavaBuildGetsItsOwnArchiveAndTheOldOneGoes() throws Exception {
    assertThat(install().status()).isZero();
    Path old = archive();
    String release = Files.readString(jdk.resolve("release")).replaceFirst("JAVA_RUNTIME_VERSION=\"", "JAVA_RUNTIME_VERSION=\"99.");
    fakeJdk(jdk, release, "");

    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(archive().getFileName().toString()).startsWith("one-pci-99.");
    assertThat(run.out()).startsWith("add " + archive() + " (mode 644" + (isRoot() ? ", owner root:root" : "") + ")\n"
        + "remove " + old + "\n"
        + "one-pci installed in " + root + ": 2 change(s)");
    assertThat(old).doesNotExist();
    Run off = InstallScript.repo().run("--host", "--root", root.toString(), "--uninstall");
    assertThat(off.status()).as(off.err()).isZero();
    assertThat(off.out()).contains("remove " + archive() + "\n");
    assertThat(lib()).doesNotExist();
  }

  boolean isRoot() throws IOException {
    return Files.getAttribute(tmp, "unix:uid").equals(0);
  }
}
