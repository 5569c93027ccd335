package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import onepci.sysfs.PciAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state lock's wait is bounded, and a call that gives up says who holds the lock. */
class StateLockTest {

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;
  Path state;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    kernel = host.simulate();
    state = host.paths.vfioState();
  }

  int prepareWaiting(Duration lockTimeout) throws Exception {
    ActionLog log = new ActionLog(VfioEngine.logFile(host.paths),
        new java.io.PrintStream(host.err, true, StandardCharsets.UTF_8), java.time.Clock.systemUTC());
    return new VfioEngine(host.paths, kernel.kernel(Duration.ofSeconds(10)), log, lockTimeout)
        .prepare("one-7", java.util.List.of(PciAddress.parse("0000:01:00.0")), Optional.empty());
  }

  static String message(String holder, String lock, String secs, String pid) {
    return "one-pci vfio: one-7: another one-pci call (" + holder + ") has held " + lock + " for more than " + secs + " s;"
        + " nothing was changed; fix: see what that call is waiting for ('ps -o pid,etime,args -p " + pid + "' and the end of "
        + Path.of(lock).resolveSibling("vfio.log") + "): a device write that hangs is usually a GPU still in use on the host;"
        + " once it has finished or been stopped, start the VM again (or wait longer with --lock-timeout SECONDS)";
  }

  /** Holds the lock in another process until its stdin closes: {@code held} on stdout once it has it. */
  public static final class Holder {
    public static void main(String[] args) throws Exception {
      try (StateLock l = StateLock.acquire(Path.of(args[0]), args[1], Duration.ofSeconds(60))) {
        System.out.println("held");
        System.out.flush();
        System.in.read();
      }
    }
  }

  @Test
  void anotherProcessHoldingTheLockPastTheTimeoutFailsTheCallNamingItsPidAndDomain() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(), state.toString(), "one-17")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("held");
      TreeMap<String, String> before = host.snapshot();

      assertThat(prepareWaiting(Duration.ofMillis(1500))).isEqualTo(1);

      assertThat(host.errLines()).containsExactly(
          message("pid " + holder.pid() + ", domain one-17", state.resolve("lock").toString(), "1.5", Long.toString(holder.pid())));
      assertThat(kernel.writes()).isEmpty();
      assertThat(host.snapshot()).isEqualTo(before);
    } finally {
      holder.getOutputStream().close();
      holder.waitFor(30, TimeUnit.SECONDS);
      holder.destroyForcibly();
    }
  }

  @Test
  void anotherThreadHoldingTheLockPastTheTimeoutFailsTheCall() throws Exception {
    long pid = ProcessHandle.current().pid();
    try (StateLock held = StateLock.acquire(state, "one-17", Duration.ofSeconds(5))) {
      assertThat(prepareWaiting(Duration.ofSeconds(1))).isEqualTo(1);
    }
    assertThat(host.errLines()).containsExactly(
        message("pid " + pid + ", domain one-17", state.resolve("lock").toString(), "1", Long.toString(pid)));
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void aHolderThatLetsGoWithinTheTimeoutIsWaitedFor() throws Exception {
    StateLock held = StateLock.acquire(state, "one-17", Duration.ofSeconds(5));
    CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return prepareWaiting(Duration.ofSeconds(30));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300);
    assertThat(waiting).isNotDone();
    held.close();

    assertThat(waiting.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(host.driver("0000:01:00.0")).contains("vfio-pci");
  }

  @Test
  void aHolderThatHasNotWrittenItsNameYetIsStillReported() throws Exception {
    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(
            StateLockTest.lockFile(state), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock l = c.lock()) {
      assertThat(prepareWaiting(Duration.ofMillis(200))).isEqualTo(1);
    }
    assertThat(host.errLines()).containsExactly(
        message("pid and domain not written yet", state.resolve("lock").toString(), "0.2", "PID"));
  }

  static Path lockFile(Path state) throws java.io.IOException {
    StateLock.ensureStateDir(state);
    return state.resolve("lock");
  }
}
