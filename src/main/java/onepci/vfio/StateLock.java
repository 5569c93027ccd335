package onepci.vfio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The one lock every prepare and release holds, so that two domains starting at once see each
 * other's journals: {@code FileChannel.lock} on {@code <state>/lock}. Two holders in the same JVM
 * (tests) wait on each other too.
 *
 * <p>The wait is bounded: a call stuck while it holds the lock (a device write that never returns)
 * must not block every other VM start for ever. The holder writes {@code pid N domain NAME} into
 * the lock file once it has the lock, so that a waiter that gives up can say who holds it.
 */
public final class StateLock implements AutoCloseable {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private static final long POLL_MILLIS = 20;

  private final FileChannel channel;
  private final FileLock lock;

  private StateLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock is still held by another call after the whole wait. */
  public static final class TimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    TimeoutException(String message) {
      super(message);
    }
  }

  /**
   * Makes the state folder (mode 0700) when missing, then waits up to {@code timeout} for the lock
   * and writes this process's pid and {@code domain} into it.
   *
   * @throws TimeoutException when another call still holds it, naming that call's pid and domain
   */
  public static StateLock acquire(Path stateDir, String domain, Duration timeout) throws IOException {
    ensureStateDir(stateDir);
    Path file = stateDir.resolve("lock");
    FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        FileLock l = null;
        try {
          l = c.tryLock();
        } catch (OverlappingFileLockException e) {
          // held by another thread of this JVM: wait as for another process
        }
        if (l != null) {
          StateLock held = new StateLock(c, l);
          held.writeHolder(domain);
          return held;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new TimeoutException(timeoutMessage(file, holder(c), timeout));
        }
        Thread.sleep(POLL_MILLIS);
      }
    } catch (InterruptedException e) {
      c.close();
      Thread.currentThread().interrupt();
      throw new IOException(file + ": interrupted while waiting for the lock", e);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void writeHolder(String domain) throws IOException {
    byte[] b = ("pid " + ProcessHandle.current().pid() + " domain " + domain + "\n").getBytes(StandardCharsets.UTF_8);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(b), 0);
  }

  /** What the holder wrote: {@code pid 1234, domain one-17}; unknown if it has not written yet. */
  private static String holder(FileChannel c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(512);
    c.read(b, 0);
    String[] f = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip().split(" ");
    if (f.length == 4 && f[0].equals("pid") && f[1].matches("\\d+") && f[2].equals("domain")) {
      return "pid " + f[1] + ", domain " + f[3];
    }
    return "pid and domain not written yet";
  }

  static String timeoutMessage(Path file, String holder, Duration timeout) {
    String secs = timeout.toMillis() % 1000 == 0
        ? Long.toString(timeout.toSeconds())
        : java.math.BigDecimal.valueOf(timeout.toMillis(), 3).stripTrailingZeros().toPlainString();
    String pid = holder.matches("pid \\d+, .*") ? holder.substring(4, holder.indexOf(',')) : "PID";
    return "another one-pci call (" + holder + ") has held " + file + " for more than " + secs + " s;"
        + " nothing was changed; fix: see what that call is waiting for ('ps -o pid,etime,args -p " + pid + "' and the end of "
        + file.resolveSibling("vfio.log") + "): a device write that hangs is usually a GPU still in use on the host;"
        + " once it has finished or been stopped, start the VM again (or wait longer with --lock-timeout SECONDS)";
  }

  /** The root-only state folder: created 0700, and put back to 0700 if someone opened it up. */
  public static void ensureStateDir(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
  }

  @Override
  public void close() throws IOException {
    try {
      channel.truncate(0);
    } finally {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }
}
