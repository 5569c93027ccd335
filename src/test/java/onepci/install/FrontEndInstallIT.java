package onepci.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import onepci.install.InstallScript.Run;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.Resources;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code install.sh} on a scratch front-end: a remotes tree holding OpenNebula's stock pci.rb, an
 * unrelated stock probe, and a site's own pci.conf.
 */
class FrontEndInstallIT {

  static final String SITE_CONF =
      "# GPUs of the ML cluster only; ask the GPU team before changing this.\n"
          + ":filter: '10de:*'\n"
          + "device_name: []\n"
          + ":site_contact: 'gpu-team@example.org'";
  static final String ADDED_KEYS =
      "\n\n# Added by one-pci install.sh: keys this file lacked, with their default values.\n"
          + ":short_address: []\n"
          + ":nvidia_vendors:\n"
          + "  - '10de'\n";
  static final String STOCK_PCI_RB = "#!/usr/bin/env ruby\n# stand-in for OpenNebula's stock probe\nputs 'PCI = [ ]'\n";

  @TempDir Path tmp;
  Path frontEnd;
  Path remotes;
  Path system;
  /** Stands for /usr/bin: where the front-end's one-pci command goes (--bin). */
  Path bin;
  String owner;
  /** What install.sh says of the command's owner: root's when it runs as root. */
  String commandOwner;
  InstallScript script;

  @BeforeEach
  void setUp() throws IOException {
    frontEnd = tmp.resolve("var-lib-one");
    remotes = frontEnd.resolve("remotes");
    system = remotes.resolve("im/kvm-probes.d/host/system");
    Files.createDirectories(system);
    write(system.resolve("pci.rb"), STOCK_PCI_RB, "rwxr-xr-x");
    write(system.resolve("cpu.sh"), "#!/bin/sh\necho CPUSPEED=2000\n", "rwxr-xr-x");
    Files.createDirectories(remotes.resolve("etc/im/kvm-probes.d"));
    write(remotes.resolve("etc/im/kvm-probes.d/pci.conf"), SITE_CONF, "rw-r-----");
    // as root, the files are given to a user that is not us, as they would be to oneadmin
    owner = isRoot() ? "65534:65534" : uid() + ":" + gid();
    commandOwner = isRoot() ? ", owner root:root)" : ")";
    bin = frontEnd.resolve("bin");
    // never the real /usr/bin
    script = InstallScript.repo().env("ONE_PCI_OWNER", owner).withArgs("--bin", bin.toString());
  }

  static void write(Path p, String content, String mode) throws IOException {
    Files.writeString(p, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  Object uid() throws IOException {
    return Files.getAttribute(tmp, "unix:uid");
  }

  Object gid() throws IOException {
    return Files.getAttribute(tmp, "unix:gid");
  }

  boolean isRoot() throws IOException {
    return uid().equals(0);
  }

  Run install(String... more) {
    List<String> args = new ArrayList<>(List.of("--remotes", remotes.toString()));
    args.addAll(List.of(more));
    return script.run(args.toArray(String[]::new));
  }

  String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  List<String> executables(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  String r(String relative) {
    return remotes.resolve(relative).toString();
  }

  @Test
  void installPutsOneProbeInPlaceKeepsTheStockOneAsideAndSaysWhatToRunNext() throws Exception {
    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    String o = ", owner " + owner + ")";
    assertThat(run.out())
        .isEqualTo(
            "add " + r("im/kvm-probes.d/host/system/pci-probe") + " (mode 755" + o + "\n"
                + "add " + r("im/kvm-probes.d/host/system/one-pci.jar") + " (mode 644" + o + "\n"
                + "add " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + " (mode 644" + o + "\n"
                + "remove " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + r("etc/im/kvm-probes.d/pci.conf") + ": keeping the site's settings; adding the keys it lacks: short_address nvidia_vendors\n"
                + "replace " + r("etc/im/kvm-probes.d/pci.conf") + " (mode 640)\n"
                + "add " + bin.resolve("one-pci") + " (mode 755" + commandOwner + "\n"
                + "one-pci installed in " + remotes + ": 6 change(s), recorded in " + frontEnd.resolve(".one-pci-install/remotes") + " for --uninstall\n"
                + "next, on the front-end as oneadmin:\n"
                + "  onehost sync -f               pushes the probe to every host's /var/tmp/one\n"
                + "  onehost forceupdate <host>    runs the probes on <host> now (once per KVM host)\n"
                + "  one-pci --help                the one-pci command here (runs the probe's jar as you; not as root)\n"
                + "and on each KVM host, as root, from this checkout: ./install.sh --host\n");
    assertThat(executables(system)).containsExactly("cpu.sh", "pci-probe");
    assertThat(system.resolve("pci-probe")).hasSameBinaryContentAs(Path.of("probe/pci-probe"));
    assertThat(system.resolve("one-pci.jar")).hasSameBinaryContentAs(Path.of("target/one-pci.jar"));
    assertThat(mode(system.resolve("one-pci.jar"))).isEqualTo("rw-r--r--");
    Path kept = remotes.resolve("im/kvm-probes.d/host/one-pci-stock/pci.rb");
    assertThat(kept).hasContent(STOCK_PCI_RB);
    assertThat(mode(kept)).isEqualTo("rw-r--r--");
    for (Path p : List.of(system.resolve("pci-probe"), system.resolve("one-pci.jar"), kept, kept.getParent())) {
      assertThat(Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid")).as(p.toString()).isEqualTo(owner);
    }
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    assertThat(Files.readString(conf)).isEqualTo(SITE_CONF + ADDED_KEYS);
    assertThat(mode(conf)).isEqualTo("rw-r-----");
    assertThat(Files.getAttribute(conf, "unix:uid")).isEqualTo(uid());
  }

  @Test
  void theInstalledProbeFindsTheSitesPciConfByItselfAndReportsOnlyTheNvidiaDevice() throws Exception {
    install();
    FakeSysfs host = FakeSysfs.create(tmp.resolve("host"));
    host.device("0000:e1:00.0").id(0x10de, 0x2330, 0x030200).numa(1).iommuGroup(20);
    host.device("0000:c1:00.0").id(0x15b3, 0x101d, 0x020000).numa(1).iommuGroup(21);
    Path ids = Resources.file("pciids/debian12-h100-guest.ids", tmp);

    ProcessBuilder pb =
        new ProcessBuilder("dash", system.resolve("pci-probe").toString(), "--sysfs-root", host.root().toString(), "--pci-ids", ids.toString())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("ONE_PCI_CDS_DIR", tmp.resolve("cds").toString()); // never the host's /var/tmp/one_db
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor()).as(err).isZero();
    Cli.Result expected = Cli.run("probe", "--filter", "10de:*", "--sysfs-root", host.root().toString(), "--pci-ids", ids.toString());
    assertThat(out).isEqualTo(expected.out());
    assertThat(out).contains(" SHORT_ADDRESS = \"e1:00.0\" ,").doesNotContain("c1:00.0");
    assertThat(err).contains("unknown key ':site_contact' ignored");
  }

  @Test
  void aSecondInstallChangesNothingAndSaysSo() throws Exception {
    install();
    Map<String, String> before = TreeSnapshot.withTimes(frontEnd);

    Run again = install();

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(again.out()).isEqualTo("one-pci is already installed in " + remotes + ": nothing to change\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(before);
  }

  @Test
  void uninstallPutsEveryFileBackByteForByteAndModeForMode() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    install();

    Run run = install("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "remove " + bin.resolve("one-pci") + "\n"
                + "restore " + r("etc/im/kvm-probes.d/pci.conf") + "\n"
                + "restore " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + "remove " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + "\n"
                + "remove " + r("im/kvm-probes.d/host/system/one-pci.jar") + "\n"
                + "remove " + r("im/kvm-probes.d/host/system/pci-probe") + "\n"
                + "remove folder " + bin + "\n"
                + "remove folder " + r("im/kvm-probes.d/host/one-pci-stock") + "\n"
                + "one-pci uninstalled from " + remotes + "\n"
                + "next, on the front-end as oneadmin: onehost sync -f, then onehost forceupdate <host> for each KVM host\n");
    // file times too: the restored files are the saved copies, not rewritten look-alikes
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  /** What install.sh writes as the front-end's command: frontend/one-pci, this tree and host/java.sh written in. */
  String expectedCommand() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("frontend/one-pci"))) {
      if (line.startsWith("REMOTES=")) {
        sb.append("REMOTES='").append(remotes).append("'\n");
      } else if (line.startsWith("# @java.sh@")) {
        sb.append(Files.readString(Path.of("host/java.sh")));
      } else {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * Runs the installed one-pci command as the user who owns the remotes tree (as oneadmin would:
   * setpriv to that user when the test runs as root), or as root.
   */
  Run command(boolean asTreeOwner, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asTreeOwner && isRoot()) {
      String[] ids = owner.split(":");
      cmd.addAll(List.of("setpriv", "--reuid", ids[0], "--regid", ids[1], "--clear-groups"));
      // the scratch folders on the way must be open to that user, as /var/lib/one is to oneadmin
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    cmd.addAll(List.of("dash", bin.resolve("one-pci").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(name -> name.startsWith("ONE_PCI_"));
    pb.environment().put("ONE_PCI_ROOT", tmp.toString()); // /tmp above it is sticky, as in the hook's tests
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out, err);
  }

  /** The checkout's jar, run directly: what the installed command must print. */
  static String jar(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "target/one-pci.jar"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    return out;
  }

  @Test
  void theFrontEndCommandIsRootsOnItsPathAndRunsThisTreesJarAsOneadmin() throws Exception {
    install();
    Path command = bin.resolve("one-pci");

    assertThat(Files.readString(command)).isEqualTo(expectedCommand());
    assertThat(mode(command)).isEqualTo("rwxr-xr-x");
    assertThat(Files.getAttribute(command, "unix:uid")).isEqualTo(uid()); // root's when installed by root
    assertThat(Files.readString(command)).contains("\nREMOTES='" + remotes + "'\n").contains("\none_pci_find_java() {");

    Run version = command(true, "--version");
    assertThat(version.status()).as(version.err()).isZero();
    assertThat(version.out()).matches("one-pci \\S+ \\([0-9a-f]+\\)\n").isEqualTo(jar("--version"));
    assertThat(version.err()).isEmpty();
    Run help = command(true, "--help");
    assertThat(help.status()).as(help.err()).isZero();
    assertThat(help.out()).startsWith("usage: one-pci COMMAND [OPTIONS]\n").isEqualTo(jar("--help"));
    Run templateHelp = command(true, "template", "--help");
    assertThat(templateHelp.status()).as(templateHelp.err()).isZero();
    assertThat(templateHelp.out()).startsWith("usage: one-pci template ADDRESS").isEqualTo(jar("template", "--help"));
    // the site's pci.conf, checked by the probe the hosts run, before onehost sync pushes it
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    write(conf, ":filter: 0:0\n", "rw-r--r--");
    Run check = command(true, "probe", "--config", conf.toString(), "--sysfs-root", FakeSysfs.create(tmp.resolve("host")).root().toString());
    assertThat(check.status()).isEqualTo(1);
    assertThat(check.out()).isEmpty();
    assertThat(check.err()).startsWith("one-pci probe: Invalid configuration " + conf + ": line 1");
  }

  @Test
  void asRootTheFrontEndCommandRefusesTheJarOneadminOwns() throws Exception {
    assertThat(isRoot()).as("a tree owned by another user needs root: run this test as root (CI does)").isTrue();
    install();
    Path jar = system.resolve("one-pci.jar");

    Run run = command(false, "--version");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo("one-pci: refusing to run " + jar + ": " + jar + " is owned by nobody (uid 65534) with mode 644; one-pci runs only what"
            + " no one but you or root can change; fix: run one-pci as nobody, who owns it: sudo -u nobody one-pci ...\n");
  }

  @Test
  void withoutTheJarTheFrontEndCommandSaysWhatToRun() throws Exception {
    install();
    Files.delete(system.resolve("one-pci.jar"));

    Run run = command(true, "--version");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("one-pci: " + system.resolve("one-pci.jar") + " not found: run install.sh on the front-end (it puts the probe and its jar there)\n");
  }

  @Test
  void aRemotesPathWithAQuoteIsWrittenIntoTheCommandSafely() throws Exception {
    Path odd = frontEnd.resolve("it's remotes");
    Path oddSystem = Files.createDirectories(odd.resolve("im/kvm-probes.d/host/system"));
    write(oddSystem.resolve("pci.rb"), STOCK_PCI_RB, "rwxr-xr-x");

    Run run = script.run("--remotes", odd.toString());

    assertThat(run.status()).as(run.err()).isZero();
    Run version = command(true, "--version");
    assertThat(version.status()).as(version.err()).isZero();
    assertThat(Files.readString(bin.resolve("one-pci"))).contains("\nREMOTES='" + frontEnd + "/it'\\''s remotes'\n");
  }

  @Test
  void uninstallWithoutAnInstallSaysThereIsNothingToDo() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);

    Run run = install("--uninstall");

    assertThat(run.status()).isZero();
    assertThat(run.out()).isEqualTo("one-pci is not installed in " + remotes + ": no record in " + frontEnd.resolve(".one-pci-install/remotes") + "; nothing to change\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void aPciConfEditedAfterInstallIsKeptByUninstall() throws Exception {
    Map<String, String> pristine = TreeSnapshot.of(frontEnd);
    install();
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    Files.writeString(conf, ":filter: '10de:*:0302'\n");

    Run run = install("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo("install.sh: kept " + conf + ": it changed after one-pci installed it\n");
    assertThat(conf).hasContent(":filter: '10de:*:0302'");
    Map<String, String> expected = new TreeMap<>(pristine);
    expected.put("remotes/etc/im/kvm-probes.d/pci.conf", TreeSnapshot.of(frontEnd).get("remotes/etc/im/kvm-probes.d/pci.conf"));
    assertThat(TreeSnapshot.of(frontEnd)).isEqualTo(expected);
  }

  @Test
  void withoutASitePciConfOursIsInstalled() throws Exception {
    Files.delete(remotes.resolve("etc/im/kvm-probes.d/pci.conf"));
    Map<String, String> pristine = TreeSnapshot.of(frontEnd);

    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    assertThat(conf).hasSameBinaryContentAs(Path.of("remotes/etc/im/kvm-probes.d/pci.conf"));
    assertThat(mode(conf)).isEqualTo("rw-r--r--");
    assertThat(install("--uninstall").status()).isZero();
    assertThat(TreeSnapshot.of(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void keysWrittenInQuotesCountAsPresent() throws Exception {
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    write(conf, "\"filter\": '10de:*'\n':short_address': []\n", "rw-r--r--");

    Run run = install();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(conf)
        .hasContent("\"filter\": '10de:*'\n':short_address': []\n\n"
            + "# Added by one-pci install.sh: keys this file lacked, with their default values.\n"
            + ":device_name: []\n:nvidia_vendors:\n  - '10de'");
  }

  @Test
  void aPciConfTheProbeRejectsFailsTheInstallAndChangesNothing() throws Exception {
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    String invalid = ":filter: 'nvidia'\n:short_address: []\n:device_name: []\n:nvidia_vendors: ['10de']\n";
    write(conf, invalid, "rw-r--r--");
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);

    Run run = install();

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("install.sh: the probe rejects " + conf + ", so every host would go to ERROR: Invalid configuration " + conf + ": ")
        .contains("'nvidia'")
        .contains("; fix that file and run again, or give --force to install anyway\n")
        .endsWith("install.sh: rolled back: " + remotes + " is as it was before this run\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void withForceAPciConfTheProbeRejectsIsInstalledWithAWarning() throws Exception {
    Path conf = remotes.resolve("etc/im/kvm-probes.d/pci.conf");
    String invalid = ":filter: 'nvidia'\n:short_address: []\n:device_name: []\n:nvidia_vendors: ['10de']\n";
    write(conf, invalid, "rw-r--r--");

    Run run = install("--force");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err())
        .startsWith("install.sh: warning: the probe rejects " + conf + ", so every host will go to ERROR until it is fixed: "
            + "Invalid configuration " + conf + ": ")
        .contains("'nvidia'")
        .endsWith(" (installed anyway: --force)\n");
    assertThat(conf).hasContent(invalid.strip());
    assertThat(system.resolve("pci-probe")).exists();
  }

  @Test
  void twoRemotesTreesInOneFolderKeepTheirOwnRecords() throws Exception {
    Path second = frontEnd.resolve("remotes-test");
    Path system2 = Files.createDirectories(second.resolve("im/kvm-probes.d/host/system"));
    write(system2.resolve("pci.rb"), STOCK_PCI_RB, "rwxr-xr-x");
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);

    Run first = install();
    Run other = script.run("--remotes", second.toString());

    assertThat(first.status()).as(first.err()).isZero();
    assertThat(other.status()).as(other.err()).isZero();
    assertThat(other.out()).contains("recorded in " + frontEnd.resolve(".one-pci-install/remotes-test") + " for --uninstall\n");

    Run undoSecond = script.run("--remotes", second.toString(), "--uninstall");
    assertThat(undoSecond.status()).as(undoSecond.err()).isZero();
    assertThat(undoSecond.out()).contains("one-pci uninstalled from " + second + "\n");
    assertThat(system2.resolve("pci.rb")).hasContent(STOCK_PCI_RB);
    assertThat(system2.resolve("pci-probe")).doesNotExist();
    assertThat(system.resolve("pci-probe")).exists();

    Run undoFirst = install("--uninstall");
    assertThat(undoFirst.status()).as(undoFirst.err()).isZero();
    assertThat(undoFirst.out()).contains("one-pci uninstalled from " + remotes + "\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void theSingleRecordOfAnEarlierVersionIsTakenOverAndUninstalled() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    assertThat(install().status()).isZero();
    // lay the record out as the earlier install.sh did: right in .one-pci-install/
    Path top = frontEnd.resolve(".one-pci-install");
    Path mine = top.resolve("remotes");
    for (String f : List.of("state", "self-dirs")) {
      Files.move(mine.resolve(f), top.resolve(f));
    }
    Files.delete(mine);
    Files.writeString(top.resolve("self-dirs"), top + "\n");

    Run run = install("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("the install record of an earlier one-pci in " + top + " is now " + mine + "\n")
        .contains("one-pci uninstalled from " + remotes + "\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void dryRunPrintsEachChangeAndMakesNone() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);

    Run run = install("--dry-run");

    assertThat(run.status()).as(run.err()).isZero();
    String o = ", owner " + owner + ")";
    assertThat(run.out())
        .isEqualTo(
            "would add " + r("im/kvm-probes.d/host/system/pci-probe") + " (mode 755" + o + "\n"
                + "would add " + r("im/kvm-probes.d/host/system/one-pci.jar") + " (mode 644" + o + "\n"
                + "would add " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + " (mode 644" + o + "\n"
                + "would remove " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + r("etc/im/kvm-probes.d/pci.conf") + ": keeping the site's settings; adding the keys it lacks: short_address nvidia_vendors\n"
                + "would replace " + r("etc/im/kvm-probes.d/pci.conf") + " (mode 640)\n"
                + "would add " + bin.resolve("one-pci") + " (mode 755" + commandOwner + "\n"
                + "dry run: 6 change(s) would be made; nothing was changed\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void dryRunUninstallPrintsEachChangeAndMakesNone() throws Exception {
    install();
    Map<String, String> installed = TreeSnapshot.withTimes(frontEnd);

    Run run = install("--uninstall", "--dry-run");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "would remove " + bin.resolve("one-pci") + "\n"
                + "would restore " + r("etc/im/kvm-probes.d/pci.conf") + "\n"
                + "would restore " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + "would remove " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + "\n"
                + "would remove " + r("im/kvm-probes.d/host/system/one-pci.jar") + "\n"
                + "would remove " + r("im/kvm-probes.d/host/system/pci-probe") + "\n"
                + "would remove folder " + bin + " (when empty)\n"
                + "would remove folder " + r("im/kvm-probes.d/host/one-pci-stock") + " (when empty)\n"
                + "would remove the record " + frontEnd.resolve(".one-pci-install/remotes") + "\n"
                + "dry run: nothing was changed\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(installed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"launcher", "jar", "stock", "conf", "command", "commit"})
  void aRunThatFailsHalfWayUndoesItsChanges(String step) throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);

    Run run = script.env("ONE_PCI_INSTALL_FAIL_AT", step).run("--remotes", remotes.toString());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("install.sh: failing before step '" + step + "' (ONE_PCI_INSTALL_FAIL_AT)\n")
        .endsWith("install.sh: rolled back: " + remotes + " is as it was before this run\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void aFailedRunUndoesItsStepsLastFirst() throws Exception {
    Run run = script.env("ONE_PCI_INSTALL_FAIL_AT", "conf").run("--remotes", remotes.toString());

    assertThat(run.err())
        .isEqualTo(
            "install.sh: failing before step 'conf' (ONE_PCI_INSTALL_FAIL_AT)\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + "\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/system/one-pci.jar") + "\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/system/pci-probe") + "\n"
                + "install.sh: rolled back: " + remotes + " is as it was before this run\n");
  }

  @Test
  void aRunKilledHalfWayIsUndoneByTheNextRunWhichThenInstalls() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    Run killed = script.env("ONE_PCI_INSTALL_FAIL_AT", "conf:kill").run("--remotes", remotes.toString());
    assertThat(killed.status()).isEqualTo(137);
    assertThat(executables(system)).containsExactly("cpu.sh", "pci-probe");

    Run next = install();

    assertThat(next.status()).as(next.err()).isZero();
    assertThat(next.err())
        .contains("install.sh: an earlier run stopped half-way; undoing what it changed first\n")
        .endsWith("install.sh: rolled back: " + remotes + " is as it was before the run that stopped\n");
    assertThat(next.out()).contains("one-pci installed in " + remotes + ": 6 change(s)");
    assertThat(install("--uninstall").status()).isZero();
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void aFirstRunKilledHalfWayIsUndoneByUninstall() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    assertThat(script.env("ONE_PCI_INSTALL_FAIL_AT", "stock:kill").run("--remotes", remotes.toString()).status()).isEqualTo(137);

    Run run = install("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err().lines().findFirst()).get().asString().matches("install\\.sh: taking over the lock left by a run that is gone \\(pid [0-9]+\\)");
    assertThat(run.err().substring(run.err().indexOf('\n') + 1))
        .isEqualTo(
            "install.sh: an earlier run stopped half-way; undoing what it changed first\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/system/one-pci.jar") + "\n"
                + "install.sh: undone: " + r("im/kvm-probes.d/host/system/pci-probe") + "\n"
                + "install.sh: rolled back: " + remotes + " is as it was before the run that stopped\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void aSecondRunWaitsForTheOneAtWork() throws Exception {
    Path lock = Files.createDirectories(frontEnd.resolve(".one-pci-install/remotes/lock"));
    long alive = ProcessHandle.current().pid();
    Files.writeString(lock.resolve("pid"), alive + "\n");
    Map<String, String> before = TreeSnapshot.withTimes(frontEnd);

    Run run = install();

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("install.sh: another install.sh (pid " + alive + ") is working on " + remotes + "; wait for it to finish\n");
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(before);
  }

  @Test
  void anUninstallThatStopsNamesWhatRemainsAndARerunFinishesIt() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    install();

    Run stopped = script.env("ONE_PCI_INSTALL_FAIL_AT", "restore:im/kvm-probes.d/host/system/one-pci.jar").run("--remotes", remotes.toString(), "--uninstall");

    assertThat(stopped.status()).isEqualTo(1);
    assertThat(stopped.err())
        .endsWith(
            "install.sh: uninstall stopped; still installed: " + r("im/kvm-probes.d/host/system/pci-probe") + " "
                + r("im/kvm-probes.d/host/system/one-pci.jar") + " (record: " + frontEnd.resolve(".one-pci-install/remotes")
                + "); fix the cause and run --uninstall again\n");
    assertThat(system.resolve("pci.rb")).hasContent(STOCK_PCI_RB);
    assertThat(executables(system)).containsExactly("cpu.sh", "pci-probe", "pci.rb");

    Run rerun = install("--uninstall");

    assertThat(rerun.status()).as(rerun.err()).isZero();
    assertThat(rerun.err()).isEmpty();
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(pristine);
  }

  @Test
  void afterAnUpgradePutsTheStockProbeBackInstallMovesItAsideAgainAndUninstallKeepsTheNewOne() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(frontEnd);
    install();
    String upgraded = STOCK_PCI_RB + "# OpenNebula 7.0.1\n";
    write(system.resolve("pci.rb"), upgraded, "rwxr-xr-x");
    String upgradedEntry = TreeSnapshot.withTimes(frontEnd).get("remotes/im/kvm-probes.d/host/system/pci.rb");

    Run again = install();

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(again.out())
        .startsWith(
            "replace " + r("im/kvm-probes.d/host/one-pci-stock/pci.rb") + " (mode 644, owner " + owner + ")\n"
                + "remove " + r("im/kvm-probes.d/host/system/pci.rb") + "\n"
                + "one-pci installed in " + remotes + ": 2 change(s)");
    assertThat(executables(system)).containsExactly("cpu.sh", "pci-probe");
    assertThat(remotes.resolve("im/kvm-probes.d/host/one-pci-stock/pci.rb")).hasContent(upgraded);

    Run run = install("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    Map<String, String> expected = new TreeMap<>(pristine);
    expected.put("remotes/im/kvm-probes.d/host/system/pci.rb", upgradedEntry);
    assertThat(TreeSnapshot.withTimes(frontEnd)).isEqualTo(expected);
  }

  @Test
  void aFolderThatIsNotRemotesIsRefused() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

    Run run = InstallScript.repo().run("--remotes", elsewhere.toString());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("install.sh: " + elsewhere + " does not look like OpenNebula's remotes (no im/kvm-probes.d): give the right folder with --remotes DIR\n");
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("elsewhere", "var-lib-one");
    }
  }

  @Test
  void binIsForTheFrontEndOnly() {
    Run run = InstallScript.repo().run("--host", "--root", tmp.toString(), "--bin", bin.toString());

    assertThat(run.status()).isEqualTo(64);
    assertThat(run.err()).startsWith("install.sh: --bin is for the front-end; a host install puts the command in ROOT/usr/sbin\nusage: install.sh ");
    assertThat(bin).doesNotExist();
  }

  @Test
  void anUnknownArgumentIsAUsageError() {
    Run run = InstallScript.repo().run("--remote", remotes.toString());

    assertThat(run.status()).isEqualTo(64);
    assertThat(run.err()).startsWith("install.sh: unknown argument '--remote'\nusage: install.sh [--remotes DIR]");
  }
}
