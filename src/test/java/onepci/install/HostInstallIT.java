package onepci.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import onepci.install.InstallScript.Run;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code install.sh --host} under a scratch root standing in for a KVM host that already has a
 * hook of its own and an older file where the udev rule goes.
 */
class HostInstallIT {

  static final Path HOOK = Path.of("driver-hooks/qemu").toAbsolutePath();
  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();
  static final Path COMMAND = Path.of("host/one-pci").toAbsolutePath();
  static final Path JAVA_SH = Path.of("host/java.sh").toAbsolutePath();
  static final String NEXT = "next, on this host as root:\n"
      + "  systemctl restart libvirtd     libvirt sees a new hook only after a restart\n"
      + "  modprobe vfio-pci              (loaded at every boot from now on)\n"
      + "  udevadm control --reload && udevadm trigger --subsystem-match=vfio\n"
      + "  one-pci doctor                 checks this host against the passthrough guide\n"
      + "after each upgrade of one-pci, run ./install.sh --host again: the hook runs only this copy\n";
  /** The commands install.sh runs: a PATH holding only these (as small wrappers) has no Java. */
  static final List<String> TOOLS =
      List.of("awk", "basename", "cat", "chmod", "chown", "cksum", "cmp", "cp", "dirname", "find", "grep", "head", "id", "ls",
          "mkdir", "mktemp", "mv", "od", "readlink", "rm", "rmdir", "sed", "stat", "tail", "touch", "tr", "wc");
  /** The Java install.sh is given (JAVA_HOME): this JVM's, and the class-data archive named for its build. */
  static final String JAVA_HOME = System.getProperty("java.home");
  static final String CDS = "usr/lib/one-pci/" + HookArchiveIT.archiveName(Path.of(JAVA_HOME));

  @TempDir Path tmp;
  Path root;
  boolean isRoot;
  String owner;

  @BeforeEach
  void setUp() throws IOException {
    root = tmp.resolve("host");
    Path hooks = Files.createDirectories(root.resolve("etc/libvirt/hooks/qemu.d"));
    write(hooks.resolve("site-hook"), "#!/bin/sh\nexit 0\n", "rwxr-x---");
    Path rules = Files.createDirectories(root.resolve("etc/udev/rules.d"));
    write(rules.resolve("99-one-pci-vfio.rules"), "SUBSYSTEM==\"vfio\", MODE=\"0660\"\n", "rw-------");
    write(rules.resolve("70-persistent-net.rules"), "# site rule\n", "rw-r--r--");
    // what `onehost sync` leaves on a host: the probe's copy, which the hook never runs
    Path synced = Files.createDirectories(root.resolve("var/tmp/one/im/kvm-probes.d/host/system"));
    Files.copy(JAR, synced.resolve("one-pci.jar"));
    isRoot = Files.getAttribute(tmp, "unix:uid").equals(0);
    owner = isRoot ? ", owner root:root" : "";
  }

  static void write(Path p, String content, String mode) throws IOException {
    Files.writeString(p, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  Run host(String... more) {
    return InstallScript.repo().env("JAVA_HOME", JAVA_HOME).run(args(more));
  }

  String[] args(String... more) {
    return Stream.concat(Stream.of("--host", "--root", root.toString()), Stream.of(more)).toArray(String[]::new);
  }

  String r(String relative) {
    return root.resolve(relative).toString();
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void installPutsTheHookTheUdevRuleAndTheModuleListInPlace() throws Exception {
    Run run = host();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .isEqualTo(
            "add " + r("usr/lib/one-pci/one-pci.jar") + " (mode 644" + owner + ")\n"
                + "add " + r("usr/lib/one-pci/java.sh") + " (mode 644" + owner + ")\n"
                + "add " + r(CDS) + " (mode 644" + owner + ")\n"
                + "add " + r("usr/sbin/one-pci") + " (mode 755" + owner + ")\n"
                + "add " + r("etc/libvirt/hooks/qemu.d/one-pci") + " (mode 755" + owner + ")\n"
                + "replace " + r("etc/udev/rules.d/99-one-pci-vfio.rules") + " (mode 644" + owner + ")\n"
                + "add " + r("etc/modules-load.d/one-pci-vfio.conf") + " (mode 644" + owner + ")\n"
                + "one-pci installed in " + root + ": 7 change(s), recorded in " + r("var/lib/one-pci/install") + " for --uninstall\n"
                + NEXT);
    // the jar, the Java rule and the command: root's (0:0 when the test runs as root), with their modes and bytes
    Map<String, String> tree = TreeSnapshot.of(root);
    String me = Files.getAttribute(tmp, "unix:uid") + ":" + Files.getAttribute(tmp, "unix:gid");
    assertThat(tree).containsEntry("usr/lib/one-pci", "dir rwxr-xr-x " + me)
        .containsEntry("usr/lib/one-pci/one-pci.jar", "file rw-r--r-- " + me + " " + sha256(JAR))
        .containsEntry("usr/lib/one-pci/java.sh", "file rw-r--r-- " + me + " " + sha256(JAVA_SH))
        .hasEntrySatisfying(CDS, v -> assertThat(v).startsWith("file rw-r--r-- " + me + " "))
        .containsEntry("usr/sbin/one-pci", "file rwxr-xr-x " + me + " " + sha256(COMMAND))
        .containsEntry("etc/libvirt/hooks/qemu.d/one-pci", "file rwxr-xr-x " + me + " " + sha256(HOOK));
    Path hook = root.resolve("etc/libvirt/hooks/qemu.d/one-pci");
    assertThat(hook).hasSameBinaryContentAs(HOOK);
    assertThat(mode(hook)).isEqualTo("rwxr-xr-x");
    Path rule = root.resolve("etc/udev/rules.d/99-one-pci-vfio.rules");
    assertThat(Files.readAllLines(rule)).filteredOn(l -> !l.startsWith("#")).containsExactly("SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0666\"");
    assertThat(mode(rule)).isEqualTo("rw-r--r--");
    Path modules = root.resolve("etc/modules-load.d/one-pci-vfio.conf");
    assertThat(Files.readAllLines(modules)).filteredOn(l -> !l.startsWith("#")).containsExactly("vfio-pci");
    assertThat(mode(modules)).isEqualTo("rw-r--r--");
  }

  static String sha256(Path p) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }

  @Test
  void theInstalledHookLetsEveryOtherOperationThroughAtOnce() throws Exception {
    host();
    Path hook = root.resolve("etc/libvirt/hooks/qemu.d/one-pci");

    Process p = new ProcessBuilder("dash", hook.toString(), "one-x", "started", "begin", "-")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor()).as(err).isZero();
    assertThat(out).isEmpty();
    assertThat(err).isEmpty();
  }

  @Test
  void aSecondInstallChangesNothingAndSaysSo() throws Exception {
    host();
    Map<String, String> before = TreeSnapshot.withTimes(root);

    Run again = host();

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(again.out()).isEqualTo("one-pci is already installed in " + root + ": nothing to change\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(before);
  }

  @Test
  void uninstallPutsTheHostBackByteForByteAndModeForMode() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(root);
    host();

    Run run = host("--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "remove " + r("etc/modules-load.d/one-pci-vfio.conf") + "\n"
                + "restore " + r("etc/udev/rules.d/99-one-pci-vfio.rules") + "\n"
                + "remove " + r("etc/libvirt/hooks/qemu.d/one-pci") + "\n"
                + "remove " + r("usr/sbin/one-pci") + "\n"
                + "remove " + r(CDS) + "\n"
                + "remove " + r("usr/lib/one-pci/java.sh") + "\n"
                + "remove " + r("usr/lib/one-pci/one-pci.jar") + "\n"
                + "remove folder " + r("etc/modules-load.d") + "\n"
                + "remove folder " + r("usr/sbin") + "\n"
                + "remove folder " + r("usr/lib/one-pci") + "\n"
                + "remove folder " + r("usr/lib") + "\n"
                + "remove folder " + r("usr") + "\n"
                + "one-pci uninstalled from " + root + "\n"
                + "next, on this host as root: systemctl restart libvirtd (so that libvirt forgets the hook)\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void onAnEmptyRootUninstallRemovesEveryFolderItMade() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));

    assertThat(InstallScript.repo().run("--host", "--root", empty.toString()).status()).isZero();
    Run run = InstallScript.repo().run("--host", "--root", empty.toString(), "--uninstall");

    assertThat(run.status()).as(run.err()).isZero();
    try (Stream<Path> s = Files.list(empty)) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void dryRunPrintsEachChangeAndMakesNone() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(root);

    Run run = host("--dry-run");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "would add " + r("usr/lib/one-pci/one-pci.jar") + " (mode 644" + owner + ")\n"
                + "would add " + r("usr/lib/one-pci/java.sh") + " (mode 644" + owner + ")\n"
                + "would add " + r(CDS) + " (mode 644" + owner + ") made by " + JAVA_HOME + "/bin/java\n"
                + "would add " + r("usr/sbin/one-pci") + " (mode 755" + owner + ")\n"
                + "would add " + r("etc/libvirt/hooks/qemu.d/one-pci") + " (mode 755" + owner + ")\n"
                + "would replace " + r("etc/udev/rules.d/99-one-pci-vfio.rules") + " (mode 644" + owner + ")\n"
                + "would add " + r("etc/modules-load.d/one-pci-vfio.conf") + " (mode 644" + owner + ")\n"
                + "dry run: 7 change(s) would be made; nothing was changed\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void dryRunUninstallMakesNoChange() throws Exception {
    host();
    Map<String, String> installed = TreeSnapshot.withTimes(root);

    Run run = host("--uninstall", "--dry-run");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("would remove " + r("etc/modules-load.d/one-pci-vfio.conf") + "\n").endsWith("dry run: nothing was changed\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(installed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jar", "java", "cds", "command", "hook", "udev", "modules", "commit"})
  void aRunThatFailsHalfWayUndoesItsChanges(String step) throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(root);

    Run run = InstallScript.repo().env("JAVA_HOME", JAVA_HOME).env("ONE_PCI_INSTALL_FAIL_AT", step).run(args());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("install.sh: failing before step '" + step + "' (ONE_PCI_INSTALL_FAIL_AT)\n")
        .endsWith("install.sh: rolled back: " + root + " is as it was before this run\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void aNewerHookReplacesTheInstalledOneAndUninstallStillRemovesIt() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(root);
    Path checkout = tmp.resolve("checkout");
    Files.createDirectories(checkout.resolve("driver-hooks"));
    Files.createDirectories(checkout.resolve("host"));
    Files.copy(InstallScript.REPO_SCRIPT, checkout.resolve("install.sh"));
    for (String f : List.of("99-one-pci-vfio.rules", "one-pci-vfio.conf", "one-pci", "java.sh")) {
      Files.copy(Path.of("host", f), checkout.resolve("host").resolve(f));
    }
    write(checkout.resolve("driver-hooks/qemu"), Files.readString(HOOK), "rwxr-xr-x");
    // no build in this checkout: the jar is given
    InstallScript copy = InstallScript.at(checkout.resolve("install.sh"));
    assertThat(copy.run(args("--jar", JAR.toString())).status()).isZero();
    assertThat(root.resolve("usr/lib/one-pci/one-pci.jar")).hasSameBinaryContentAs(JAR);
    write(checkout.resolve("driver-hooks/qemu"), Files.readString(HOOK) + "# a later version\n", "rwxr-xr-x");

    Run update = copy.run(args("--jar", JAR.toString()));

    assertThat(update.status()).as(update.err()).isZero();
    assertThat(update.out()).startsWith("replace " + r("etc/libvirt/hooks/qemu.d/one-pci") + " (mode 755" + owner + ")\n"
        + "one-pci installed in " + root + ": 1 change(s)");
    assertThat(root.resolve("etc/libvirt/hooks/qemu.d/one-pci")).hasSameBinaryContentAs(checkout.resolve("driver-hooks/qemu"));

    Run run = copy.run(args("--uninstall"));
    assertThat(run.out()).contains("remove " + r("usr/lib/one-pci/one-pci.jar") + "\n");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void aCheckoutWithoutTheHookRefusesAndChangesNothing() throws Exception {
    Path checkout = Files.createDirectories(tmp.resolve("checkout/host"));
    Files.copy(InstallScript.REPO_SCRIPT, tmp.resolve("checkout/install.sh"));
    for (String f : List.of("99-one-pci-vfio.rules", "one-pci-vfio.conf")) {
      Files.copy(Path.of("host", f), checkout.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    Map<String, String> pristine = TreeSnapshot.withTimes(root);

    Run run = InstallScript.at(tmp.resolve("checkout/install.sh")).run(args());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo("install.sh: " + tmp.resolve("checkout/driver-hooks/qemu")
            + " is missing from this checkout: nothing was installed; update the checkout (git pull) and run again\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void withoutJava17ItWarnsWhatToInstallAndStillInstalls() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : TOOLS) {
      write(bin.resolve(tool), "#!/bin/sh\nexec /usr/bin/" + tool + " \"$@\"\n", "rwxr-xr-x");
    }
    Path noJvms = Files.createDirectories(tmp.resolve("no-jvms"));

    Run run = InstallScript.repo().env("PATH", bin.toString()).env("JAVA_HOME", "").env("ONE_PCI_JVM_DIRS", noJvms.toString()).run(args());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err())
        .isEqualTo("install.sh: warning: no Java 17 or newer found (JAVA_HOME, PATH and " + noJvms + "): the hook, the one-pci command"
            + " and the probe need it; install openjdk-17-jre-headless (Debian, Ubuntu) or java-17-openjdk-headless (RHEL, Alma, Rocky)\n");
    assertThat(root.resolve("etc/libvirt/hooks/qemu.d/one-pci")).hasSameBinaryContentAs(HOOK);
  }

  /** Runs the installed one-pci command as root does, under the scratch root. */
  Run command(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("dash", root.resolve("usr/sbin/one-pci").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(name -> name.startsWith("ONE_PCI_"));
    pb.environment().put("ONE_PCI_ROOT", root.toString());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out, err);
  }

  @Test
  void theInstalledCommandRunsTheInstalledJar() throws Exception {
    host();
    Path sysfs = Files.createDirectories(tmp.resolve("sysfs/sys/bus/pci/devices"));

    Run run = command("probe", "--filter", "*:*", "--sysfs-root", tmp.resolve("sysfs").toString());

    assertThat(run.status()).as(run.err()).isZero();
    // no device: no PCI vector, and readiness says so
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).startsWith("PCI_PASSTHROUGH = \"NONE\"\n").doesNotContain("PCI = [");
    assertThat(sysfs).isEmptyDirectory();
    // without the installed jar it says so, though the synced copy is there
    Files.delete(root.resolve("usr/lib/one-pci/one-pci.jar"));
    Run gone = command("probe", "--filter", "*:*", "--sysfs-root", tmp.resolve("sysfs").toString());
    assertThat(gone.status()).isEqualTo(1);
    assertThat(gone.err()).isEqualTo("one-pci: " + r("usr/lib/one-pci/one-pci.jar") + " not found: run install.sh --host on this host\n");
  }

  @Test
  void aJarAnotherUserOwnsIsRefusedByTheCommandAndReplacedByTheNextInstall() throws Exception {
    assertThat(isRoot).as("planting a file owned by another user needs root: run this test as root (CI does)").isTrue();
    host();
    Path jar = root.resolve("usr/lib/one-pci/one-pci.jar");
    Files.setOwner(jar, jar.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    String uid = String.valueOf(Files.getAttribute(jar, "unix:uid"));

    Run refused = command("doctor");

    assertThat(refused.status()).isEqualTo(1);
    assertThat(refused.out()).isEmpty();
    assertThat(refused.err()).isEqualTo("one-pci: refusing to run " + jar + ": " + jar + " is owned by nobody (uid " + uid + ") with mode 644;"
        + " root runs only what root alone can change; fix: run install.sh --host again, or chown root:root " + jar + "\n");

    Run again = host();

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(again.out()).startsWith("replace " + jar + " (mode 644, owner root:root)\n"
        + "one-pci installed in " + root + ": 1 change(s)");
    assertThat(Files.getAttribute(jar, "unix:uid")).isEqualTo(0);
    assertThat(jar).hasSameBinaryContentAs(JAR);
  }

  @Test
  void jarGivesTheJarToInstall() throws Exception {
    Path other = tmp.resolve("one-pci-1.2.jar");
    Files.copy(JAR, other);
    Files.writeString(other, "another build", java.nio.file.StandardOpenOption.APPEND);

    Run run = host("--jar", other.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(root.resolve("usr/lib/one-pci/one-pci.jar")).hasSameBinaryContentAs(other);
  }

  @Test
  void aJarThatIsNotThereIsRefusedBeforeAnyChange() throws Exception {
    Map<String, String> pristine = TreeSnapshot.withTimes(root);

    Run run = host("--jar", tmp.resolve("nope.jar").toString());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("install.sh: --jar " + tmp.resolve("nope.jar")
        + ": no such file (or not readable): nothing was installed; give the one-pci.jar to install\n");
    assertThat(TreeSnapshot.withTimes(root)).isEqualTo(pristine);
  }

  @Test
  void jarIsForTheHostInstallOnly() {
    Run run = InstallScript.repo().run("--jar", JAR.toString());

    assertThat(run.status()).isEqualTo(64);
    assertThat(run.err()).startsWith("install.sh: --jar goes with --host\n");
  }

  @Test
  void aRootThatDoesNotExistIsRefusedWithWhatToDo() throws Exception {
    Path missing = tmp.resolve("no-such-root");

    Run run = InstallScript.repo().run("--host", "--root", missing.toString());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("install.sh: --root " + missing + " does not exist: it must be a folder to fill; create it first (mkdir -p "
        + missing + ") and run again\n");
    assertThat(missing).doesNotExist();
  }

  @Test
  void theRestartHintNamesVirtqemudWhereItRuns() throws Exception {
    Path sock = Files.createDirectories(root.resolve("run/libvirt")).resolve("virtqemud-sock");
    Files.writeString(sock, "");

    Run run = host();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).endsWith(NEXT.replace("  systemctl restart libvirtd     ", "  systemctl restart virtqemud    "));
    Run off = host("--uninstall");
    assertThat(off.out()).endsWith("next, on this host as root: systemctl restart virtqemud (so that libvirt forgets the hook)\n");
  }

  @Test
  void theRestartHintNamesVirtqemudWhenItsSocketIsEnabled() throws Exception {
    Path wants = Files.createDirectories(root.resolve("etc/systemd/system/sockets.target.wants"));
    Files.createSymbolicLink(wants.resolve("virtqemud.socket"), Path.of("/usr/lib/systemd/system/virtqemud.socket"));

    Run run = host();

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).contains("\n  systemctl restart virtqemud    libvirt sees a new hook only after a restart\n");
  }

  @Test
  void uninstallRefusesWhileADomainHoldsDevicesAndForceReleasesThemFirst() throws Exception {
    onepci.vfio.TestHost fake = new onepci.vfio.TestHost(root);
    assertThat(host().status()).isZero();
    Run prepare = command("vfio", "prepare", "--domain", "one-7", "0000:04:00.0", "--sysfs-root", root.toString());
    assertThat(prepare.status()).as(prepare.err()).isZero();
    Path journal = fake.journal("one-7");
    assertThat(journal).exists();
    Map<String, String> installed = TreeSnapshot.of(root);

    Run refused = host("--uninstall");

    assertThat(refused.status()).isEqualTo(1);
    assertThat(refused.out()).isEmpty();
    assertThat(refused.err()).isEqualTo("install.sh: domain(s) one-7 still hold devices the hook bound to vfio-pci (journals in "
        + r("run/one-pci") + "): nothing was uninstalled; stop them first (their devices are then given back),"
        + " or give --force to release the devices now and uninstall\n");
    assertThat(TreeSnapshot.of(root)).isEqualTo(installed);

    Run forced = InstallScript.repo().env("JAVA_HOME", System.getProperty("java.home")).run(args("--uninstall", "--force"));

    assertThat(forced.status()).as(forced.err()).isZero();
    assertThat(forced.err()).contains("one-pci vfio: one-7: released\n");
    assertThat(forced.out()).startsWith("released the devices of domain one-7\nremove " + r("etc/modules-load.d/one-pci-vfio.conf") + "\n")
        .contains("one-pci uninstalled from " + root + "\n");
    assertThat(journal).doesNotExist();
    assertThat(root.resolve("usr/lib/one-pci")).doesNotExist();
    assertThat(fake.driver("0000:04:00.0")).contains("vfio-pci");
  }

  @Test
  void withoutRootTheRealSystemIsRefused() throws Exception {
    // as root, drop to nobody for this run; otherwise the test runs as the unprivileged user it is
    InstallScript script = InstallScript.repo();
    if (isRoot) {
      script = script.via("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    }

    Run run = script.run("--host");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("install.sh: the host install writes system files: run it as root (or give --root DIR to fill a scratch tree)\n");
  }
}
