package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code driver-hooks/qemu} run by dash as libvirt runs it: arguments, domain XML on stdin, and a
 * bare environment. On the fake host the devices asked for are already on vfio-pci (an
 * administrator's binding) or refused, so no kernel is needed.
 *
 * <p>The hook is installed as {@code install.sh --host} lays it out, under a scratch root named by
 * {@code ONE_PCI_ROOT} in a temporary folder below {@code /tmp}. The tests that plant files owned
 * by another user need root (CI runs them as root) and fail, not skip, without it.
 */
class QemuHookIT {

  static final Path HOOK = Path.of("driver-hooks/qemu").toAbsolutePath();
  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();
  static final Path JAVA_SH = Path.of("host/java.sh").toAbsolutePath();
  static final String MSG = "one-pci vfio hook: ";
  /** A uid that is not root and not the user running the tests. */
  static final String NOBODY = "nobody";

  @TempDir Path tmp;
  TestHost host;
  Path bin;
  /** The scratch root the hook is installed into (ONE_PCI_ROOT). */
  Path root;

  record Run(int status, String out, String err) {}

  static String xml(String... addresses) {
    StringBuilder sb = new StringBuilder("<domain type='kvm'><name>one-7</name><devices>\n");
    for (String a : addresses) {
      String[] p = a.split("[:.]");
      sb.append("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x").append(p[0])
          .append("' bus='0x").append(p[1]).append("' slot='0x").append(p[2]).append("' function='0x").append(p[3])
          .append("'/></source></hostdev>\n");
    }
    return sb.append("</devices></domain>\n").toString();
  }

  @BeforeEach
  void setUp() throws IOException {
    host = new TestHost(tmp.resolve("host"));
    // the tools a minimal host has, and no java among them
    bin = tmp.resolve("bin");
    Files.createDirectories(bin);
    for (String tool : List.of("readlink", "dirname", "sed", "cat", "awk", "stat", "id")) {
      for (String dir : List.of("/usr/bin", "/bin")) {
        Path t = Path.of(dir, tool);
        if (Files.isExecutable(t)) {
          Files.createSymbolicLink(bin.resolve(tool), t);
          break;
        }
      }
    }
  }

  /** A bare environment: PATH is {@link #bin} only, no JAVA_HOME, no JVM folder. */
  Map<String, String> bare() {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin.toString());
    env.put("ONE_PCI_JVM_DIRS", tmp.resolve("no-jvms").toString());
    env.put("ONE_PCI_ROOT", tmp.resolve("root").toString());
    return env;
  }

  /** The environment of a host with Java: this JVM's home. */
  Map<String, String> withJava() {
    Map<String, String> env = bare();
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("ONE_PCI_SYSFS_ROOT", host.paths.root().toString());
    return env;
  }

  Run hook(Path hook, Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/dash", hook.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    Path in = tmp.resolve("stdin.xml");
    Files.writeString(in, stdin);
    pb.redirectInput(in.toFile());
    Process p = pb.start();
    byte[] err = p.getErrorStream().readAllBytes();
    byte[] out = p.getInputStream().readAllBytes();
    return new Run(p.waitFor(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** The hook alone in a folder: no checkout beside it, no jar anywhere. */
  Path loneHook() throws IOException {
    Path d = tmp.resolve("etc/libvirt/hooks/qemu.d");
    Files.createDirectories(d);
    Path h = d.resolve("one-pci");
    Files.copy(HOOK, h, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
    return h;
  }

  /**
   * The hook, the jar and java.sh as {@code install.sh --host} lays them out under {@link #root}
   * (folders 0755, files 0644 and the hook 0755), owned by the user running the tests.
   */
  Path installed() throws IOException {
    root = tmp.resolve("root");
    Path lib = root.resolve("usr/lib/one-pci");
    Path hooks = root.resolve("etc/libvirt/hooks/qemu.d");
    for (Path d : List.of(root, root.resolve("usr"), root.resolve("usr/lib"), lib, root.resolve("etc"), root.resolve("etc/libvirt"),
        root.resolve("etc/libvirt/hooks"), hooks)) {
      Files.createDirectories(d);
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    copy(JAR, lib.resolve("one-pci.jar"), "rw-r--r--");
    copy(JAVA_SH, lib.resolve("java.sh"), "rw-r--r--");
    return copy(HOOK, hooks.resolve("one-pci"), "rwxr-xr-x");
  }

  static Path copy(Path from, Path to, String mode) throws IOException {
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(mode));
    return to;
  }

  Path lib(String file) {
    return root.resolve("usr/lib/one-pci").resolve(file);
  }

  /** Gives P to {@link #NOBODY}: only root can, so these tests need root, and say so when they fail for it. */
  void giveAway(Path p) throws IOException {
    assertThat(Files.getAttribute(tmp, "unix:uid"))
        .as("planting a file owned by another user needs root: run this test as root (CI does)")
        .isEqualTo(0);
    UserPrincipalLookupService users = p.getFileSystem().getUserPrincipalLookupService();
    Files.setOwner(p, users.lookupPrincipalByName(NOBODY));
  }

  /** How the hook refuses FILE because of BAD (path, owner and mode) with FIX. */
  static String untrusted(Path file, String bad, String fix) {
    return MSG + "refusing to run " + file + ": " + bad + "; root runs only what root alone can change, so one-7 cannot be"
        + " prepared safely; fix: run install.sh --host again, or " + fix + "\n";
  }

  int nobodyUid() throws IOException {
    Path probe = Files.createFile(tmp.resolve("uid-probe"));
    giveAway(probe);
    int uid = ((Number) Files.getAttribute(probe, "unix:uid")).intValue();
    Files.delete(probe);
    return uid;
  }

  @Test
  void everyOtherOperationExitsAtOnceWithoutJavaOrJar() throws Exception {
    Path h = loneHook();
    String[][] calls = {
      {"one-7", "start", "begin", "-"}, {"one-7", "started", "begin", "-"}, {"one-7", "stopped", "end", "-"},
      {"one-7", "release", "begin", "-"}, {"one-7", "prepare", "end", "-"}, {"one-7", "migrate", "begin", "-"},
      {"one-7", "restore", "begin", "-"}, {"one-7", "reconnect", "begin", "-"}, {"one-7", "attach", "begin", "-"}, {}
    };
    for (String[] args : calls) {
      Run r = hook(h, bare(), xml("0000:01:00.0"), args);
      assertThat(r.status()).as(String.join(" ", args) + ": " + r.err()).isZero();
      assertThat(r.out() + r.err()).isEmpty();
    }
    // the same bare host cannot prepare: proof that the calls above never looked for Java or the jar
    Run prepare = hook(h, bare(), xml("0000:01:00.0"), "one-7", "prepare", "begin", "-");
    assertThat(prepare.status()).isEqualTo(1);
    assertThat(prepare.err()).isEqualTo(MSG + tmp.resolve("root/usr/lib/one-pci/one-pci.jar")
        + " not found, so one-7 cannot be prepared safely; run install.sh --host on this host\n");
  }

  @Test
  void withoutJarOrJavaAVmWithoutPciDevicesStillStarts() throws Exception {
    Run noJar = hook(loneHook(), bare(), xml(), "one-9", "prepare", "begin", "-");
    assertThat(noJar.status()).isZero();
    assertThat(noJar.out() + noJar.err()).isEmpty();

    Run noJava = hook(installed(), bare(), xml(), "one-9", "release", "end", "-");
    assertThat(noJava.status()).isZero();
    assertThat(noJava.out() + noJava.err()).isEmpty();
  }

  @Test
  void withoutJavaPrepareFailsAndSaysWhatToInstall() throws Exception {
    Run r = hook(installed(), bare(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(MSG + "no Java 17 or newer found (tried JAVA_HOME, PATH and "
        + tmp.resolve("no-jvms") + "), so one-7 cannot be prepared safely. Install openjdk-17-jre-headless (Debian, Ubuntu)"
        + " or java-17-openjdk-headless (RHEL, Alma, Rocky)\n");
  }

  /** Domains the hook must let start without a jar: nothing in them is a managed PCI hostdev. */
  static final List<String> NOT_OURS = List.of(
      "<domain type='kvm'><name>one-9</name><devices><disk type='file'/></devices></domain>",
      "<domain type='kvm'><name>one-9</name><devices><hostdev mode='subsystem' type='usb' managed='yes'>"
          + "<source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev></devices></domain>",
      "<domain type='kvm'><name>one-9</name><devices><hostdev mode='subsystem' type='pci' managed='no'>"
          + "<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>",
      "<domain type='kvm'><name>one-9</name><devices><hostdev mode=\"subsystem\" type=\"pci\">"
          + "<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>",
      "<domain type='kvm'><name>one-9</name><devices><hostdev mode='capabilities' type='storage'>"
          + "<source><block>/dev/sdf1</block></source></hostdev></devices></domain>");

  /** Domains the hook must refuse without a jar: each has a managed PCI hostdev, written differently. */
  static final List<String> OURS = List.of(
      xml("0000:01:00.0"),
      "<domain type=\"kvm\"><name>one-9</name><devices><hostdev managed=\"yes\" type=\"pci\" mode=\"subsystem\">"
          + "<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>",
      "<domain type='kvm'>\n <name>one-9</name>\n <devices>\n  <hostdev\n   type='pci'\n   managed = 'yes'\n   mode=\"subsystem\">\n"
          + "   <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n  </hostdev>\n </devices>\n</domain>\n",
      "<domain type='kvm'><name>one-9</name><devices><hostdev mode='subsystem' type='usb' managed='yes'>"
          + "<source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev><hostdev mode='subsystem' type='pci' managed='yes'>"
          + "<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>");

  @Test
  void withoutAJarOnlyADomainWithAManagedPciHostdevIsRefused() throws Exception {
    for (String domain : NOT_OURS) {
      Run r = hook(loneHook(), bare(), domain, "one-9", "prepare", "begin", "-");
      assertThat(r.status()).as(domain + ": " + r.err()).isZero();
      assertThat(r.out() + r.err()).as(domain).isEmpty();
    }
    for (String domain : OURS) {
      Run r = hook(loneHook(), bare(), domain, "one-9", "prepare", "begin", "-");
      assertThat(r.status()).as(domain).isEqualTo(1);
      assertThat(r.err()).as(domain).isEqualTo(MSG + tmp.resolve("root/usr/lib/one-pci/one-pci.jar")
          + " not found, so one-9 cannot be prepared safely; run install.sh --host on this host\n");
    }
  }

  @Test
  void theHookAndTheEngineAgreeOnWhatAManagedPciHostdevIs() throws Exception {
    for (String domain : union(NOT_OURS, OURS)) {
      boolean engine = !DomainXml.parse(new java.io.ByteArrayInputStream(domain.getBytes(StandardCharsets.UTF_8)), "test").managed().isEmpty();
      boolean shell = hook(loneHook(), bare(), domain, "one-9", "prepare", "begin", "-").status() != 0;
      assertThat(shell).as(domain).isEqualTo(engine);
    }
  }

  static List<String> union(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void installedPrepareAndReleaseHoldAndFreeAnAdministratorsDevice() throws Exception {
    Path h = installed();

    Run p = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(p.status()).as(p.err()).isZero();
    Path node = host.paths.devVfioGroup(15);
    assertThat(p.err()).isEqualTo("one-pci vfio: one-7: 0000:04:00.0: held as it is (vfio-pci)\n"
        + "one-pci vfio: one-7: " + node + ": group kvm\n"
        + "one-pci vfio: one-7: " + node + ": mode 0666\n"
        + "one-pci vfio: one-7: prepared [0000:04:00.0] with IOMMU group(s) [15]\n");
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly("0000:04:00.0\t15\tkept\tvfio-pci\tvfio-pci");

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "release", "end", "-");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEqualTo("one-pci vfio: one-7: released\n");
    assertThat(host.journal("one-7")).doesNotExist();
    assertThat(host.driver("0000:04:00.0")).contains("vfio-pci");
  }

  @Test
  void fromACheckoutItRunsTheCheckoutsJar() throws Exception {
    Path co = tmp.resolve("checkout");
    for (String d : List.of("", "driver-hooks", "host", "target")) {
      Files.createDirectories(co.resolve(d));
      Files.setPosixFilePermissions(co.resolve(d), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.writeString(co.resolve("pom.xml"), "<project/>\n");
    copy(JAVA_SH, co.resolve("host/java.sh"), "rw-r--r--");
    copy(JAR, co.resolve("target/one-pci.jar"), "rw-r--r--");
    Path h = copy(HOOK, co.resolve("driver-hooks/qemu"), "rwxr-xr-x");
    Map<String, String> env = withJava();
    env.put("ONE_PCI_ROOT", tmp.toString());

    Run p = hook(h, env, xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(p.status()).as(p.err()).isZero();
    assertThat(host.journal("one-7")).exists();

    Files.setPosixFilePermissions(co.resolve("target"), PosixFilePermissions.fromString("rwxrwxr-x"));
    Run r = hook(h, env, xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(MSG + "refusing to run " + co.resolve("target/one-pci.jar") + ": " + co.resolve("target")
        + " is owned by " + owner() + " with mode 775; root runs only what root alone can change, so one-7 cannot be prepared"
        + " safely; fix: chmod go-w " + co.resolve("target") + "\n");
  }

  /** "root (uid 0)" as stat names the user running the tests. */
  String owner() throws IOException {
    int uid = ((Number) Files.getAttribute(tmp, "unix:uid")).intValue();
    return Files.getOwner(tmp).getName() + " (uid " + uid + ")";
  }

  @Test
  void aJarOwnedByAnotherUserIsRefusedAndNotRun() throws Exception {
    Path h = installed();
    giveAway(lib("one-pci.jar"));

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo(untrusted(lib("one-pci.jar"), lib("one-pci.jar") + " is owned by nobody (uid " + nobodyUid()
        + ") with mode 644", "chown root:root " + lib("one-pci.jar")));
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aJavaRuleOwnedByAnotherUserIsRefusedAndNotSourced() throws Exception {
    Path h = installed();
    Path marker = tmp.resolve("sourced");
    Files.writeString(lib("java.sh"), "touch " + marker + "\n", java.nio.file.StandardOpenOption.APPEND);
    giveAway(lib("java.sh"));

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(untrusted(lib("java.sh"), lib("java.sh") + " is owned by nobody (uid " + nobodyUid()
        + ") with mode 644", "chown root:root " + lib("java.sh")));
    assertThat(marker).doesNotExist();
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aGroupWritableFolderOnTheJarsPathIsRefused() throws Exception {
    Path h = installed();
    Path usrLib = root.resolve("usr/lib");
    Files.setPosixFilePermissions(usrLib, PosixFilePermissions.fromString("rwxrwxr-x"));

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(untrusted(lib("one-pci.jar"), usrLib + " is owned by " + owner() + " with mode 775",
        "chmod go-w " + usrLib));
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aWorldWritableFolderOnTheJarsPathIsRefusedEvenWhenSticky() throws Exception {
    Path h = installed();
    Path dir = root.resolve("usr/lib/one-pci");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(untrusted(lib("one-pci.jar"), dir + " is owned by " + owner() + " with mode 777", "chmod go-w " + dir));

    // sticky, as /tmp: still refused below the scratch root (only the test's own /tmp is let through)
    new ProcessBuilder("chmod", "1777", dir.toString()).start().waitFor();
    Run sticky = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(sticky.status()).isEqualTo(1);
    assertThat(sticky.err()).isEqualTo(untrusted(lib("one-pci.jar"), dir + " is owned by " + owner() + " with mode 1777", "chmod go-w " + dir));
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aSymlinkedJarLeadingToAFolderOfAnotherUserIsRefused() throws Exception {
    Path h = installed();
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.move(lib("one-pci.jar"), elsewhere.resolve("one-pci.jar"));
    Files.createSymbolicLink(lib("one-pci.jar"), elsewhere.resolve("one-pci.jar"));
    giveAway(elsewhere);

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(untrusted(lib("one-pci.jar"), elsewhere + " is owned by nobody (uid " + nobodyUid()
        + ") with mode 755", "chown root:root " + elsewhere));
    assertThat(host.paths.vfioState()).doesNotExist();

    // the same link to a folder root owns is fine: links are followed, not refused as such
    Files.setOwner(elsewhere, Files.getOwner(tmp));
    Run ok = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");
    assertThat(ok.status()).as(ok.err()).isZero();
  }

  @Test
  void anUntrustedJarDoesNotStopADomainWithoutPciDevices() throws Exception {
    Path h = installed();
    giveAway(lib("one-pci.jar"));

    Run r = hook(h, withJava(), NOT_OURS.get(1), "one-9", "prepare", "begin", "-");

    assertThat(r.status()).isZero();
    assertThat(r.out() + r.err()).isEmpty();
  }

  @Test
  void twoHookProcessesStartingDomainsOnTheSameDeviceAtOnceGiveItToOne() throws Exception {
    Path h = installed();
    Path in = tmp.resolve("one.xml");
    Files.writeString(in, xml("0000:04:00.0"));
    List<Process> ps = new ArrayList<>();
    for (String domain : List.of("one-7", "one-8")) {
      ProcessBuilder pb = new ProcessBuilder("/usr/bin/dash", h.toString(), domain, "prepare", "begin", "-");
      pb.environment().clear();
      pb.environment().putAll(withJava());
      pb.redirectInput(in.toFile());
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(tmp.resolve(domain + ".err").toFile());
      ps.add(pb.start());
    }
    List<Integer> status = new ArrayList<>();
    for (Process p : ps) {
      status.add(p.waitFor());
    }

    assertThat(status).containsExactlyInAnyOrder(0, 1);
    String winner = status.get(0) == 0 ? "one-7" : "one-8";
    String loser = status.get(0) == 0 ? "one-8" : "one-7";
    assertThat(host.journal(winner)).exists();
    assertThat(host.journal(loser)).doesNotExist();
    assertThat(Files.readString(tmp.resolve(loser + ".err"))).isEqualTo(
        "one-pci vfio: " + loser + ": refused 0000:04:00.0: is held by running domain " + winner
            + "; fix: stop " + winner + " first, or choose a device in another IOMMU group\n"
            + "one-pci vfio: " + loser + ": nothing was changed\n");
  }

  @Test
  void aRefusalFailsTheStartWithTheReasonOnStderr() throws Exception {
    Run r = hook(installed(), withJava(), xml("0000:03:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /;"
        + " fix: unmount / and remove it from /etc/fstab, or pass through another device\n"
        + "one-pci vfio: one-7: nothing was changed\n");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void theJarThatOnehostSyncKeepsIsNeverRun() throws Exception {
    Path h = loneHook();
    Path synced = tmp.resolve("root/var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar");
    Files.createDirectories(synced.getParent());
    Files.copy(JAR, synced);

    Run r = hook(h, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo(MSG + tmp.resolve("root/usr/lib/one-pci/one-pci.jar")
        + " not found, so one-7 cannot be prepared safely; run install.sh --host on this host\n");
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aDomainWithoutPciDevicesHasNothingToPrepare() throws Exception {
    Run r = hook(installed(), withJava(), xml(), "one-9", "prepare", "begin", "-");

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEqualTo("one-pci vfio: one-9: no managed PCI device to prepare\n");
    assertThat(host.paths.vfioState()).doesNotExist();
  }
}
