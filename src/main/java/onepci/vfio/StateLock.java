package onepci.vfio;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one lock every prepare and release holds, so that two domains starting at once see each
 * other's journals: {@code FileChannel.lock} on {@code <state>/lock}. Two holders in the same JVM
 * (tests) wait on each other too.
 */
public final class StateLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private StateLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Makes the state folder (mode 0700) when missing, then waits for the lock. */
  public static StateLock acquire(Path stateDir) throws IOException {
    ensureStateDir(stateDir);
    FileChannel c = FileChannel.open(stateDir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      while (true) {
        try {
          return new StateLock(c, c.lock());
        } catch (OverlappingFileLockException e) {
          Thread.sleep(10);
        }
      }
    } catch (InterruptedException e) {
      c.close();
      Thread.currentThread().interrupt();
      throw new IOException(stateDir.resolve("lock") + ": interrupted while waiting for the lock", e);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The root-only state folder: created 0700, and put back to 0700 if someone opened it up. */
  public static void ensureStateDir(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
