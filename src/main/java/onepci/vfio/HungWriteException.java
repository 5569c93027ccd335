package onepci.vfio;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A sysfs write did not return within its time limit; the kernel may still be working on it. */
public final class HungWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  public HungWriteException(Path file, Duration limit) {
    super(file + ": write did not return within "
        + (limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms"));
  }
}
