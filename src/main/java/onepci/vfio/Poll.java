package onepci.vfio;

import java.io.IOException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waiting for the kernel to finish something it does after a write returns. */
final class Poll {

  private static final long STEP_MILLIS = 20;

  private Poll() {}

  /**
   * Reads {@code value} every 20 ms until {@code done} holds or {@code millis} have passed, and
   * returns the last value read; an interrupt is an IOException saying {@code what} was awaited.
   */
  static <T> T until(Supplier<T> value, Predicate<T> done, long millis, String what) throws IOException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    T now = value.get();
    while (!done.test(now) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(STEP_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + what, e);
      }
      now = value.get();
    }
    return now;
  }
}
