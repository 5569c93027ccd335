package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.Resources;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code probe/pci-probe}, the launcher OpenNebula executes, run with dash as a host would run
 * it: from a checkout, and installed in a remotes tree where it finds pci.conf by itself.
 */
class ProbeLauncherIT {

  static final Path LAUNCHER = Path.of("probe/pci-probe").toAbsolutePath();
  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();

  @TempDir Path tmp;
  Path guest;
  Path pciIds;

  record Run(int status, String out, String err) {}

  @BeforeEach
  void setUp() {
    guest = Resources.h100GuestRoot(tmp.resolve("guest"));
    pciIds = Resources.file("pciids/debian12-h100-guest.ids", tmp);
  }

  Run sh(Path script, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("dash", script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("ONE_PCI_CDS_DIR", tmp.resolve("cds").toString()); // never the host's /var/tmp/one_db
    // the Java running the tests (17), and no folder of Java runtimes where a newer one could be
    pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
    pb.environment().put("ONE_PCI_JVM_DIRS", tmp.resolve("no-jvms").toString());
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    byte[] err = p.getErrorStream().readAllBytes();
    byte[] out = p.getInputStream().readAllBytes();
    return new Run(p.waitFor(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** A front-end's remotes tree holding the launcher and the jar as install.sh lays them out. */
  Path install(Path remotes, String probesDir, String conf) throws IOException {
    Path system = remotes.resolve("im").resolve(probesDir).resolve("host/system");
    Files.createDirectories(system);
    Files.copy(LAUNCHER, system.resolve("pci-probe"), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(system.resolve("pci-probe"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.copy(JAR, system.resolve("one-pci.jar"), StandardCopyOption.REPLACE_EXISTING);
    Path etc = remotes.resolve("etc/im").resolve(probesDir);
    Files.createDirectories(etc);
    Files.writeString(etc.resolve("pci.conf"), conf);
    return system.resolve("pci-probe");
  }

  String inProcess(String... args) {
    Cli.Result r = Cli.run(args);
    assertThat(r.status()).isZero();
    return r.out();
  }

  @Test
  void fromACheckoutItRunsTheJarWithTheSameArguments() throws Exception {
    Run r = sh(LAUNCHER, Map.of(), "--filter", "*:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(Resources.text("expected/h100-guest-all-devices.txt").replace("ROOT", guest.toString()));
  }

  /** The README's quick start runs the checkout's launcher: its archive goes to target/, not /var/tmp/one_db. */
  @Test
  void fromACheckoutTheClassDataArchiveGoesBesideTheJar() throws Exception {
    Path checkout = tmp.resolve("checkout");
    Files.createDirectories(checkout.resolve("probe"));
    Files.createDirectories(checkout.resolve("target"));
    Files.copy(LAUNCHER, checkout.resolve("probe/pci-probe"));
    Files.writeString(checkout.resolve("pom.xml"), "<project/>\n");
    Files.copy(JAR, checkout.resolve("target/one-pci.jar"));
    ProcessBuilder pb =
        new ProcessBuilder("dash", checkout.resolve("probe/pci-probe").toString(), "--filter", "10de:*", "--sysfs-root", guest.toString())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("ONE_PCI_CDS_DIR"); // the launcher's own default, as in the quick start

    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor()).as(err).isZero();
    assertThat(out).contains(" SHORT_ADDRESS = \"00:06.0\" ,");
    try (var files = Files.list(checkout.resolve("target"))) {
      assertThat(files.map(f -> f.getFileName().toString()).sorted())
          .hasSize(2)
          .contains("one-pci.jar")
          .anyMatch(n -> n.matches("one-pci-checkout-.+\\.(jsa|aot)")); // a CDS archive, or Java 25's AOT cache
    }
  }

  @Test
  void installedItReadsThePciConfOfItsProbesFolder() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");

    Run r = sh(probe, Map.of(), "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    assertThat(r.out()).contains(" SHORT_ADDRESS = \"00:06.0\" ,").doesNotContain("00:01.0");
  }

  @Test
  void anotherProbesFolderReadsItsOwnPciConf() throws Exception {
    Path remotes = tmp.resolve("remotes");
    install(remotes, "kvm-probes.d", ":filter: '10de:*'\n");
    Path qemu = install(remotes, "qemu-probes.d", ":filter: '1af4::0200'\n");

    Run r = sh(qemu, Map.of(), "--sysfs-root", guest.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains(" SHORT_ADDRESS = \"00:03.0\" ,").doesNotContain("00:06.0");
  }

  @Test
  void runThroughALinkItStillFindsPciConfFromItsRealLocation() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path link = tmp.resolve("elsewhere/pci-probe");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, probe);

    Run r = sh(link, Map.of(), "--sysfs-root", guest.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains(" SHORT_ADDRESS = \"00:06.0\" ,");
  }

  @Test
  void openNebulasOwnArgumentsAreNotTakenForOptions() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '*:*'\n");

    Run r = sh(probe, Map.of(), "kvm", "0", "host0");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "*:*"));
  }

  @Test
  void anInvalidPciConfPutsTheHostInErrorWithTheFileNamed() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: 'nvidia'\n");

    Run r = sh(probe, Map.of(), "kvm", "0", "host0");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci probe: Invalid configuration " + tmp.resolve("remotes/etc/im/kvm-probes.d/pci.conf")
                + ": line 1: :filter: filter 'nvidia': at least two fields must be given, as in '10de:*'\n");
  }

  /**
   * On a host the launcher runs from onehost sync's copy in /var/tmp/one: a rejected pci.conf is
   * named as that copy, with the front-end file to edit and the command that pushes it.
   */
  @Test
  void onAHostARejectedPciConfNamesTheFrontEndFileToEdit() throws Exception {
    FakeSysfs host = FakeSysfs.create(tmp.resolve("host"));
    Path probe = install(host.root().resolve("var/tmp/one"), "kvm-probes.d", ":filter: 'nvidia'\n");

    Run r = sh(probe, Map.of(), "--sysfs-root", host.root().toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci probe: Invalid configuration " + host.root().resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf")
                + ": line 1: :filter: filter 'nvidia': at least two fields must be given, as in '10de:*'\n"
                + "one-pci probe: this is the host's copy: edit /var/lib/one/remotes/etc/im/kvm-probes.d/pci.conf on the front-end,"
                + " then run 'onehost sync -f' there to push it\n");
  }

  /** An environment whose PATH has the shell tools the launcher uses, and no Java anywhere. */
  Map<String, String> withoutJava(Path bin) throws IOException {
    Files.createDirectories(bin);
    for (String tool : List.of("dirname", "basename", "readlink", "sed", "cat")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool).toRealPath());
    }
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin.toString());
    env.put("JAVA_HOME", "");
    env.put("ONE_PCI_JVM_DIRS", tmp.resolve("no-jvms").toString());
    return env;
  }

  @Test
  void withoutJavaTheStockProbeKeptAsideRuns() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path stock = tmp.resolve("remotes/im/kvm-probes.d/host/one-pci-stock/pci.rb");
    Files.createDirectories(stock.getParent());
    Files.writeString(stock, "stand-in for the stock probe\n");
    Path bin = tmp.resolve("bin");
    Map<String, String> env = withoutJava(bin);
    Files.writeString(bin.resolve("ruby"), "#!/bin/sh\necho \"ruby ran $*\"\n");
    Files.setPosixFilePermissions(bin.resolve("ruby"), PosixFilePermissions.fromString("rwxr-xr-x"));

    Run r = sh(probe, env, "kvm", "0", "host0");

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo("ruby ran " + tmp.resolve("remotes/im/kvm-probes.d/host/system/../one-pci-stock/pci.rb") + "\n");
    assertThat(r.err()).startsWith("one-pci probe: no Java 17 or newer found; running the stock probe kept in ");
  }

  @Test
  void withoutJavaNorStockProbeItFailsNamingThePackage() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");

    Run r = sh(probe, withoutJava(tmp.resolve("bin")), "kvm", "0", "host0");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci probe: no Java 17 or newer found (tried JAVA_HOME, PATH and /usr/lib/jvm). "
                + "Install openjdk-17-jre-headless (Debian, Ubuntu) or java-17-openjdk-headless (RHEL, Alma, Rocky), "
                + "then run: onehost forceupdate <host>\n");
  }

  @Test
  void anOlderJavaIsPassedOver() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path java11 = tmp.resolve("jdk-11");
    Files.createDirectories(java11.resolve("bin"));
    Files.writeString(java11.resolve("release"), "JAVA_VERSION=\"11.0.22\"\n");
    Files.writeString(java11.resolve("bin/java"), "#!/bin/sh\necho java 11 must not run; exit 3\n");
    Files.setPosixFilePermissions(java11.resolve("bin/java"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = withoutJava(tmp.resolve("bin"));
    env.put("JAVA_HOME", java11.toString());
    env.put("ONE_PCI_JVM_DIRS", Path.of(System.getProperty("java.home")).getParent().toString());

    Run r = sh(probe, env, "--sysfs-root", guest.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains(" SHORT_ADDRESS = \"00:06.0\" ,");
  }

  // --- class-data sharing -------------------------------------------------------------------

  /** The archives in the CDS folder, by name. */
  List<String> archives(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var l = Files.list(dir)) {
      return l.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Where each class of the probe came from in a run, as the JVM logs it. */
  Map<String, String> classSources(Path log) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (String line : Files.readAllLines(log)) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\] (onepci\\.\\S+) source: (.*)$").matcher(line);
      if (m.find()) {
        out.put(m.group(1), m.group(2));
      }
    }
    return out;
  }

  /**
   * A Java home whose java runs this JVM with class loading logged to {@code log}; the option goes
   * last before {@code -jar}, after the launcher's own logging options.
   */
  Path loggingJava(Path log) throws IOException {
    return wrappedJava(tmp.resolve("logging-jdk"), Path.of(System.getProperty("java.home")), "'-Xlog:class+load=info:file=" + log + "'");
  }

  /**
   * A Java home whose java runs the one in {@code realHome}, with {@code options} (shell words)
   * inserted before {@code -jar}.
   */
  Path wrappedJava(Path home, Path realHome, String options) throws IOException {
    Files.createDirectories(home.resolve("bin"));
    Files.copy(realHome.resolve("release"), home.resolve("release"));
    Files.writeString(
        home.resolve("bin/java"),
        "#!/bin/sh\n"
            + "n=0\n"
            + "for a in \"$@\"; do\n"
            + "  [ $n -eq 0 ] && set --\n"
            + "  n=1\n"
            + "  [ \"$a\" = -jar ] && set -- \"$@\" " + options + "\n"
            + "  set -- \"$@\" \"$a\"\n"
            + "done\n"
            + "exec '" + realHome.resolve("bin/java") + "' \"$@\"\n");
    Files.setPosixFilePermissions(home.resolve("bin/java"), PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  @Test
  void theFirstRunOfAJarWritesItsClassArchiveAndTheNextRunsMapIt() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '*:*'\n");
    Path cds = tmp.resolve("one_db");
    String expected = inProcess("probe", "--filter", "*:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());
    long jarSize = Files.size(JAR);

    Run first = sh(probe, Map.of("ONE_PCI_CDS_DIR", cds.toString()), "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(first.status()).as(first.err()).isZero();
    assertThat(first.out()).isEqualTo(expected);
    assertThat(first.err()).isEmpty();
    assertThat(archives(cds)).singleElement().asString()
        .matches("one-pci-kvm-probes\\.d-17[0-9.]*-[0-9]+-" + jarSize + "\\.jsa");

    Path log = tmp.resolve("classes.log");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "JAVA_HOME", loggingJava(log).toString());
    Run second = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(second.status()).as(second.err()).isZero();
    assertThat(second.out()).isEqualTo(expected);
    assertThat(classSources(log)).containsEntry("onepci.cli.Main", "shared objects file (top)")
        .containsEntry("onepci.probe.PciProbe", "shared objects file (top)")
        .containsEntry("onepci.sysfs.SysfsReader", "shared objects file (top)");
  }

  @Test
  void aNewJarGetsANewArchiveAndTheOldOneIsRemoved() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path cds = tmp.resolve("one_db");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString());
    assertThat(sh(probe, env, "--sysfs-root", guest.toString()).status()).isZero();
    List<String> before = archives(cds);

    Path jar = probe.resolveSibling("one-pci.jar");
    try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(JAR));
        var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        in.transferTo(out);
      }
      out.putNextEntry(new java.util.zip.ZipEntry("META-INF/one-pci-release.txt"));
      out.write("a newer release\n".getBytes(StandardCharsets.UTF_8));
    }
    Run r = sh(probe, env, "--sysfs-root", guest.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains(" SHORT_ADDRESS = \"00:06.0\" ,");
    assertThat(archives(cds)).hasSize(1).doesNotContainAnyElementsOf(before)
        .singleElement().asString().endsWith("-" + Files.size(jar) + ".jsa");
  }

  @Test
  void whenTheArchiveCannotBeWrittenTheProbeStillReports() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path notADir = tmp.resolve("a-file");
    Files.writeString(notADir, "not a folder\n");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", notADir.resolve("one_db").toString());

    Run r = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    assertThat(r.err()).isEmpty();
    assertThat(notADir).hasContent("not a folder");
  }

  @Test
  void aFailingFirstRunLeavesNoArchiveAndFailsAsWithout() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: 'nvidia'\n");
    Path cds = tmp.resolve("one_db");

    Run r = sh(probe, Map.of("ONE_PCI_CDS_DIR", cds.toString()), "kvm", "0", "host0");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("one-pci probe: Invalid configuration ").containsOnlyOnce("Invalid configuration").doesNotContain("archive");
    assertThat(archives(cds)).isEmpty();
  }

  @Test
  void anEmptyCdsFolderSettingRunsWithoutAnArchive() throws Exception {
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");

    Path log = tmp.resolve("classes.log");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", "", "JAVA_HOME", loggingJava(log).toString());

    sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());
    Run r = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    assertThat(r.err()).isEmpty();
    assertThat(classSources(log).get("onepci.cli.Main")).as("where Main came from").startsWith("file:");
    assertThat(tmp.resolve("cds")).doesNotExist();
  }

  // --- Java 25 and its AOT cache --------------------------------------------------------------

  /** A Java 25 or newer installed on this machine (/usr/lib/jvm), if any. */
  static java.util.Optional<Path> java25() throws IOException {
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return java.util.Optional.empty();
    }
    try (var l = Files.list(jvms)) {
      for (Path home : l.sorted().toList()) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release) || !Files.isExecutable(home.resolve("bin/java"))) {
          continue;
        }
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
        if (m.find() && Integer.parseInt(m.group(1)) >= 25) {
          return java.util.Optional.of(home.toRealPath());
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** A folder of Java runtimes holding only {@code home}, under the name {@code name}. */
  Path jvmDirWith(String name, Path home) throws IOException {
    Path dir = tmp.resolve("jvms-" + name);
    Files.createDirectories(dir);
    Files.createSymbolicLink(dir.resolve(name), home);
    return dir;
  }

  Path realJava25() throws IOException {
    java.util.Optional<Path> home = java25();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        home.isPresent(), "no Java 25 or newer in /usr/lib/jvm (Temurin 25 is there on the project's machines)");
    return home.get();
  }

  @Test
  void withJava25TheFirstRunWritesItsAotCacheAndTheNextRunsMapIt() throws Exception {
    Path java25 = realJava25();
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path cds = tmp.resolve("one_db");
    String expected = inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());
    long jarSize = Files.size(JAR);
    // the Java 17 of JAVA_HOME and PATH is passed over for the 25 in the folder of runtimes
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "ONE_PCI_JVM_DIRS", jvmDirWith("jdk-25", java25).toString());

    Run first = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(first.status()).as(first.err()).isZero();
    assertThat(first.out()).isEqualTo(expected);
    assertThat(first.err()).isEmpty();
    assertThat(archives(cds)).singleElement().asString()
        .matches("one-pci-kvm-probes\\.d-2[5-9][0-9.]*-[0-9]+-" + jarSize + "\\.aot");
    Path cache = cds.resolve(archives(cds).get(0));

    Path classLog = tmp.resolve("classes.log");
    Path aotLog = tmp.resolve("aot.log");
    Path logging =
        wrappedJava(tmp.resolve("jvms-logging/jdk-25"), java25,
            "'-Xlog:class+load=info:file=" + classLog + "' '-Xlog:aot=info:file=" + aotLog + "'");
    Map<String, String> env2 = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "ONE_PCI_JVM_DIRS", logging.getParent().toString());
    Run second = sh(probe, env2, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(second.status()).as(second.err()).isZero();
    assertThat(second.out()).isEqualTo(expected);
    assertThat(second.err()).isEmpty();
    assertThat(Files.readString(aotLog)).contains("Opened AOT cache " + cache + ".");
    assertThat(classSources(classLog)).containsEntry("onepci.cli.Main", "shared objects file")
        .containsEntry("onepci.probe.PciProbe", "shared objects file")
        .containsEntry("onepci.sysfs.SysfsReader", "shared objects file");
    assertThat(archives(cds)).containsExactly(cache.getFileName().toString());
  }

  @Test
  void aBrokenAotCacheGivesTheReportOfARunWithoutOne() throws Exception {
    Path java25 = realJava25();
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path cds = tmp.resolve("one_db");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "ONE_PCI_JVM_DIRS", jvmDirWith("jdk-25", java25).toString());
    assertThat(sh(probe, env, "--sysfs-root", guest.toString()).status()).isZero();
    Path cache = cds.resolve(archives(cds).get(0));
    for (String broken : List.of("", "not an AOT cache\n")) {
      Files.writeString(cache, broken);

      Run r = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    }
  }

  @Test
  void withJava25AnUnwritableCacheFolderGivesTheSameReport() throws Exception {
    Path java25 = realJava25();
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path notADir = tmp.resolve("a-file");
    Files.writeString(notADir, "not a folder\n");
    Map<String, String> env =
        Map.of("ONE_PCI_CDS_DIR", notADir.resolve("one_db").toString(), "ONE_PCI_JVM_DIRS", jvmDirWith("jdk-25", java25).toString());

    Run r = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    assertThat(r.err()).isEmpty();
    assertThat(notADir).hasContent("not a folder\n");
  }

  @Test
  void whenTheAotCacheCannotBeAssembledTheReportIsOneOfARunWithoutIt() throws Exception {
    Path java25 = realJava25();
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: '10de:*'\n");
    Path cds = tmp.resolve("one_db");
    // a Java 25 whose assembly step fails, as when the disk fills up
    Path home = tmp.resolve("jvms-failing/jdk-25");
    Files.createDirectories(home.resolve("bin"));
    Files.copy(java25.resolve("release"), home.resolve("release"));
    Files.writeString(
        home.resolve("bin/java"),
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -XX:AOTMode=create ] && { echo assembly failed >&2; exit 1; }; done\n"
            + "exec '" + java25.resolve("bin/java") + "' \"$@\"\n");
    Files.setPosixFilePermissions(home.resolve("bin/java"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "ONE_PCI_JVM_DIRS", home.getParent().toString());

    Run r = sh(probe, env, "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(inProcess("probe", "--filter", "10de:*", "--sysfs-root", guest.toString(), "--pci-ids", pciIds.toString()));
    assertThat(r.err()).isEmpty();
    assertThat(archives(cds)).as("no cache and nothing half-written").isEmpty();
  }

  @Test
  void withJava25AFailingFirstRunLeavesNoCacheAndFailsAsWithout() throws Exception {
    Path java25 = realJava25();
    Path probe = install(tmp.resolve("remotes"), "kvm-probes.d", ":filter: 'nvidia'\n");
    Path cds = tmp.resolve("one_db");
    Map<String, String> env = Map.of("ONE_PCI_CDS_DIR", cds.toString(), "ONE_PCI_JVM_DIRS", jvmDirWith("jdk-25", java25).toString());

    Run r = sh(probe, env, "kvm", "0", "host0");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("one-pci probe: Invalid configuration ").containsOnlyOnce("Invalid configuration").doesNotContain("AOT");
    assertThat(archives(cds)).isEmpty();
  }
}
