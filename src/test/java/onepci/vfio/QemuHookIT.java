package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code driver-hooks/qemu} run by dash as libvirt runs it: arguments, domain XML on stdin, and a
 * bare environment. On the fake host the devices asked for are already on vfio-pci (an
 * administrator's binding) or refused, so no kernel is needed.
 */
class QemuHookIT {

  static final Path HOOK = Path.of("driver-hooks/qemu").toAbsolutePath();
  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();

  @TempDir Path tmp;
  TestHost host;
  Path bin;

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
    for (String tool : List.of("readlink", "dirname", "sed", "cat")) {
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
    assertThat(prepare.err()).isEqualTo("one-pci vfio hook: one-pci.jar not found (tried $ONE_PCI_JAR, <hook dir>/../target in a checkout,"
        + " /var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar), so one-7 cannot be prepared safely;"
        + " run 'onehost sync --force' on the front-end, or 'mvn package' in a checkout\n");
  }

  @Test
  void withoutJarOrJavaAVmWithoutPciDevicesStillStarts() throws Exception {
    Run noJar = hook(loneHook(), bare(), xml(), "one-9", "prepare", "begin", "-");
    assertThat(noJar.status()).isZero();
    assertThat(noJar.out() + noJar.err()).isEmpty();

    Map<String, String> env = bare();
    env.put("ONE_PCI_JAR", JAR.toString());
    Run noJava = hook(loneHook(), env, xml(), "one-9", "release", "end", "-");
    assertThat(noJava.status()).isZero();
    assertThat(noJava.out() + noJava.err()).isEmpty();
  }

  @Test
  void withoutJavaPrepareFailsAndSaysWhatToInstall() throws Exception {
    Map<String, String> env = bare();
    env.put("ONE_PCI_JAR", JAR.toString());

    Run r = hook(loneHook(), env, xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci vfio hook: no Java 17 or newer found (tried JAVA_HOME, PATH and "
        + tmp.resolve("no-jvms") + "), so one-7 cannot be prepared safely. Install openjdk-17-jre-headless (Debian, Ubuntu)"
        + " or java-17-openjdk-headless (RHEL, Alma, Rocky)\n");
  }

  @Test
  void fromTheCheckoutPrepareAndReleaseHoldAndFreeAnAdministratorsDevice() throws Exception {
    Run p = hook(HOOK, withJava(), xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(p.status()).as(p.err()).isZero();
    Path node = host.paths.devVfioGroup(15);
    assertThat(p.err()).isEqualTo("one-pci vfio: one-7: 0000:04:00.0: held as it is (vfio-pci)\n"
        + "one-pci vfio: one-7: " + node + ": group kvm\n"
        + "one-pci vfio: one-7: " + node + ": mode 0666\n"
        + "one-pci vfio: one-7: prepared [0000:04:00.0] with IOMMU group(s) [15]\n");
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly("0000:04:00.0\t15\tkept\tvfio-pci\tvfio-pci");

    Run r = hook(HOOK, withJava(), xml("0000:04:00.0"), "one-7", "release", "end", "-");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).isEqualTo("one-pci vfio: one-7: released\n");
    assertThat(host.journal("one-7")).doesNotExist();
    assertThat(host.driver("0000:04:00.0")).contains("vfio-pci");
  }

  @Test
  void twoHookProcessesStartingDomainsOnTheSameDeviceAtOnceGiveItToOne() throws Exception {
    Path in = tmp.resolve("one.xml");
    Files.writeString(in, xml("0000:04:00.0"));
    List<Process> ps = new ArrayList<>();
    for (String domain : List.of("one-7", "one-8")) {
      ProcessBuilder pb = new ProcessBuilder("/usr/bin/dash", HOOK.toString(), domain, "prepare", "begin", "-");
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
    Run r = hook(HOOK, withJava(), xml("0000:03:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci vfio: one-7: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /;"
        + " fix: unmount / and remove it from /etc/fstab, or pass through another device\n"
        + "one-pci vfio: one-7: nothing was changed\n");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void installedItUsesTheJarThatOnehostSyncKeeps() throws Exception {
    Path h = loneHook();
    Path synced = tmp.resolve("var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar");
    Files.createDirectories(synced.getParent());
    Files.copy(JAR, synced);
    Map<String, String> env = withJava();
    env.put("ONE_PCI_ROOT", tmp.toString());

    Run r = hook(h, env, xml("0000:04:00.0"), "one-7", "prepare", "begin", "-");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(host.journal("one-7")).exists();
    assertThat(new File(h.toString()).canExecute()).isTrue();
  }

  @Test
  void aDomainWithoutPciDevicesHasNothingToPrepare() throws Exception {
    Run r = hook(HOOK, withJava(), xml(), "one-9", "prepare", "begin", "-");

    assertThat(r.status()).isZero();
    assertThat(r.err()).isEqualTo("one-pci vfio: one-9: no managed PCI device to prepare\n");
    assertThat(host.paths.vfioState()).doesNotExist();
  }
}
