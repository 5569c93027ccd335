package onepci.hwdb;

import java.io.IOException;
import java.nio.file.Path;

/** A {@code hwdb.bin} that is not a compiled hardware database, or is damaged; the message says how. */
public final class HwdbFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  HwdbFormatException(Path file, String reason) {
    super(file + ": not a usable compiled hardware database: " + reason);
  }
}
