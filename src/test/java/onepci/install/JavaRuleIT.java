package onepci.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Where Java is" and "which JVM flags" are one rule, {@code host/java.sh}: the hook, the one-pci
 * command and install.sh source it, and the probe launcher, which keeps a search of its own, looks
 * in the same places for the same minimum version. Each is run against the same hosts of fake
 * JVMs (a script per JVM that notes its name and arguments) and must pick the JVM java.sh picks.
 */
class JavaRuleIT {

  static final Path JAVA_SH = Path.of("host/java.sh").toAbsolutePath();
  static final Path HOOK = Path.of("driver-hooks/qemu").toAbsolutePath();
  static final Path COMMAND = Path.of("host/one-pci").toAbsolutePath();
  static final Path LAUNCHER = Path.of("probe/pci-probe").toAbsolutePath();
  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();
  static final List<String> SHIPPED = List.of("driver-hooks/qemu", "host/one-pci", "frontend/one-pci", "host/java.sh", "install.sh", "probe/pci-probe");

  @TempDir Path tmp;
  Path jvms;
  Path tools;
  Path log;
  Path root;

  @BeforeEach
  void setUp() throws IOException {
    jvms = Files.createDirectories(tmp.resolve("jvms"));
    log = tmp.resolve("java.log");
    // the tools the scripts use, and no java among them
    tools = Files.createDirectories(tmp.resolve("tools"));
    for (String t : List.of("readlink", "dirname", "sed", "cat", "awk", "stat", "id", "cksum", "mkdir", "mv", "rm", "basename", "cmp",
        "cp", "chmod", "chown", "find", "grep", "head", "ls", "mktemp", "od", "rmdir", "tail", "tr", "wc")) {
      for (String dir : List.of("/usr/bin", "/bin")) {
        if (Files.isExecutable(Path.of(dir, t))) {
          Files.createSymbolicLink(tools.resolve(t), Path.of(dir, t));
          break;
        }
      }
    }
    // the hook and the command, installed as install.sh --host lays them out
    root = tmp.resolve("root");
    Path lib = root.resolve("usr/lib/one-pci");
    for (Path d : List.of(root, root.resolve("usr"), root.resolve("usr/lib"), lib, root.resolve("usr/sbin"))) {
      Files.createDirectories(d);
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    install(JAR, lib.resolve("one-pci.jar"), "rw-r--r--");
    install(JAVA_SH, lib.resolve("java.sh"), "rw-r--r--");
    install(COMMAND, root.resolve("usr/sbin/one-pci"), "rwxr-xr-x");
    install(HOOK, root.resolve("hook"), "rwxr-xr-x");
  }

  static void install(Path from, Path to, String mode) throws IOException {
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(mode));
  }

  /** A fake JVM: NAME/bin/java, with a release file saying VERSION unless RELEASE is false. */
  Path jvm(String name, String version, boolean release) throws IOException {
    Path home = jvms.resolve(name);
    Path bin = Files.createDirectories(home.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\n"
        + "if [ \"${1:-}\" = -version ]; then echo 'openjdk version \"" + version + "\" 2025-01-21' >&2; exit 0; fi\n"
        + "printf '%s\\n' \"" + name + " $*\" >> " + log + "\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (release) {
      Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
    }
    return home;
  }

  /** One host: JAVA_HOME (or null), the JVM on PATH (or null), and the JVM folder. */
  record Host(String name, Path javaHome, Path onPath, Path jvmDirs) {}

  List<Host> hosts() throws IOException {
    Path j11 = jvm("jdk-11", "11.0.22", true);
    Path j17 = jvm("jdk-17", "17.0.15", true);
    Path j21 = jvm("jdk-21", "21.0.6", true);
    Path noRelease = jvm("jdk-17-no-release", "17.0.2", false);
    Path dirs = Files.createDirectories(tmp.resolve("dirs"));
    Files.createSymbolicLink(dirs.resolve("a-old"), j11);
    Files.createSymbolicLink(dirs.resolve("b-new"), j21);
    Path old = Files.createDirectories(tmp.resolve("old-dirs"));
    Files.createSymbolicLink(old.resolve("a-old"), j11);
    return List.of(
        new Host("JAVA_HOME too old: PATH's", j11, j17, dirs),
        new Host("JAVA_HOME first", j21, j17, dirs),
        new Host("PATH too old: the first new enough in the JVM folder", null, j11, dirs),
        new Host("version from -version when there is no release file", noRelease, j11, old),
        new Host("none new enough", j11, j11, old));
  }

  Map<String, String> env(Host h) {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", (h.onPath() == null ? "" : h.onPath().resolve("bin") + ":") + tools);
    if (h.javaHome() != null) {
      env.put("JAVA_HOME", h.javaHome().toString());
    }
    env.put("ONE_PCI_JVM_DIRS", h.jvmDirs().toString());
    env.put("ONE_PCI_ROOT", root.toString());
    env.put("ONE_PCI_CDS_DIR", "");
    return env;
  }

  record Run(int status, String out, String err, List<String> javaRuns) {}

  Run run(Map<String, String> env, String stdin, String... cmd) throws Exception {
    Files.deleteIfExists(log);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    Path in = tmp.resolve("stdin");
    Files.writeString(in, stdin);
    pb.redirectInput(in.toFile());
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status = p.waitFor();
    List<String> runs = Files.exists(log) ? Files.readAllLines(log) : List.of();
    return new Run(status, out, err, runs);
  }

  /** What java.sh itself picks on host H: the JVM's name, or "" for none. */
  String canonical(Host h) throws Exception {
    Run r = run(env(h), "", "/usr/bin/dash", "-c", ". " + JAVA_SH + " && one_pci_find_java && printf '%s' \"$ONE_PCI_JAVA\"");
    return r.out().isEmpty() ? "" : Path.of(r.out()).toRealPath().getParent().getParent().getFileName().toString();
  }

  String jvmOpts() throws Exception {
    return run(Map.of("PATH", tools.toString()), "", "/usr/bin/dash", "-c", ". " + JAVA_SH + " && printf '%s' \"$ONE_PCI_JVM_OPTS\"").out();
  }

  static Set<String> names(List<String> runs) {
    Set<String> names = new LinkedHashSet<>();
    for (String line : runs) {
      names.add(line.split(" ", 2)[0]);
    }
    return names;
  }

  @Test
  void javaShPicksTheFirstJava17OrNewerInItsOrder() throws Exception {
    List<String> picked = new ArrayList<>();
    for (Host h : hosts()) {
      picked.add(canonical(h));
    }
    assertThat(picked).containsExactly("jdk-17", "jdk-21", "jdk-21", "jdk-17-no-release", "");
  }

  @Test
  void theHookRunsTheJavaJavaShPicksWithItsFlags() throws Exception {
    String xml = "<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'/></devices></domain>";
    String jar = root.resolve("usr/lib/one-pci/one-pci.jar").toString();
    for (Host h : hosts()) {
      String want = canonical(h);
      Run r = run(env(h), xml, "/usr/bin/dash", root.resolve("hook").toString(), "one-7", "prepare", "begin", "-");
      if (want.isEmpty()) {
        assertThat(r.status()).as(h.name()).isEqualTo(1);
        assertThat(r.javaRuns()).as(h.name()).isEmpty();
        assertThat(r.err()).as(h.name()).startsWith("one-pci vfio hook: no Java 17 or newer found");
      } else {
        assertThat(r.status()).as(h.name() + ": " + r.err()).isZero();
        assertThat(r.javaRuns()).as(h.name()).containsExactly(want + " " + jvmOpts() + " -jar " + jar + " vfio prepare --domain one-7 --xml -");
      }
    }
  }

  @Test
  void theCommandRunsTheJavaJavaShPicksWithItsFlags() throws Exception {
    String jar = root.resolve("usr/lib/one-pci/one-pci.jar").toString();
    for (Host h : hosts()) {
      String want = canonical(h);
      Run r = run(env(h), "", "/usr/bin/dash", root.resolve("usr/sbin/one-pci").toString(), "doctor", "--json");
      if (want.isEmpty()) {
        assertThat(r.status()).as(h.name()).isEqualTo(1);
        assertThat(r.javaRuns()).as(h.name()).isEmpty();
        assertThat(r.err()).as(h.name()).isEqualTo("one-pci: no Java 17 or newer found (tried JAVA_HOME, PATH and " + h.jvmDirs()
            + "). Install openjdk-17-jre-headless (Debian, Ubuntu) or java-17-openjdk-headless (RHEL, Alma, Rocky)\n");
      } else {
        assertThat(r.status()).as(h.name() + ": " + r.err()).isZero();
        assertThat(r.javaRuns()).as(h.name()).containsExactly(want + " " + jvmOpts() + " -jar " + jar + " doctor --json");
      }
    }
  }

  @Test
  void theProbeLauncherLooksInTheSamePlacesForTheSameMinimumVersion() throws Exception {
    for (Host h : hosts()) {
      String want = canonical(h);
      Run r = run(env(h), "", "/usr/bin/dash", LAUNCHER.toString(), "--filter", "*:*");
      if (want.isEmpty()) {
        assertThat(r.status()).as(h.name()).isEqualTo(1);
        assertThat(r.javaRuns()).as(h.name()).isEmpty();
      } else {
        assertThat(r.status()).as(h.name() + ": " + r.err()).isZero();
        assertThat(names(r.javaRuns())).as(h.name()).containsExactly(want);
      }
    }
  }

  @Test
  void installShWarnsExactlyWhenJavaShFindsNoJava() throws Exception {
    for (Host h : hosts()) {
      Map<String, String> env = env(h);
      env.remove("ONE_PCI_ROOT");
      Path scratch = Files.createTempDirectory(tmp, "host");
      Run r = run(env, "", "/usr/bin/dash", InstallScript.REPO_SCRIPT.toString(), "--host", "--root", scratch.toString(),
          "--jar", JAR.toString(), "--dry-run");
      if (canonical(h).isEmpty()) {
        assertThat(r.err()).as(h.name()).startsWith("install.sh: warning: no Java 17 or newer found (JAVA_HOME, PATH and " + h.jvmDirs() + ")");
      } else {
        assertThat(r.err()).as(h.name()).isEmpty();
      }
      assertThat(r.status()).as(h.name() + ": " + r.err()).isZero();
    }
  }

  /** The search and the flags are written once: no shipped script but java.sh and the launcher has a copy. */
  @Test
  void onlyJavaShAndTheLauncherHoldAJavaSearchOrJvmFlags() throws Exception {
    List<String> search = new ArrayList<>();
    List<String> flags = new ArrayList<>();
    for (String f : SHIPPED) {
      String text = Files.readString(Path.of(f));
      if (text.contains("/bin/java") || text.contains("JAVA_VERSION")) {
        search.add(f);
      }
      if (text.contains("-XX:")) {
        flags.add(f);
      }
    }
    assertThat(search).containsExactly("host/java.sh", "probe/pci-probe");
    assertThat(flags).containsExactly("host/java.sh", "probe/pci-probe");
  }

  /** The hook and the commands (host and front-end) check what they run with the same words. */
  @Test
  void theHookAndTheCommandsHoldTheSameTrustCheck() throws Exception {
    String hook = block(Files.readString(HOOK));
    assertThat(hook).contains("trusted() {").contains("stat -L");
    assertThat(block(Files.readString(COMMAND))).isEqualTo(hook);
    assertThat(block(Files.readString(Path.of("frontend/one-pci")))).isEqualTo(hook);
  }

  static String block(String script) {
    int from = script.indexOf("# --- trusted: the same block");
    int to = script.indexOf("# --- end of trusted");
    assertThat(from).isNotNegative();
    assertThat(to).isGreaterThan(from);
    return script.substring(from, to);
  }
}
