package onepci.vfio;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A sysfs write did not return within its time limit; the kernel may still be working on it. */
public final class HungWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public HungWriteException(Path file, Duration limit) {
    super(file + ": write did not return within " + limit.toSeconds() + " s" + (limit.toSeconds() == 0 ? " (" + limit.toMillis() + " ms)" : ""));
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
