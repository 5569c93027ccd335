package onepci.vfio;

import java.io.IOException;
import java.nio.file.Path;

/** Writes one value to one sysfs attribute, as {@code echo VALUE > FILE} would. */
@FunctionalInterface
public interface KernelWrites {

  /**
   * Writes {@code content} to {@code file} in a single write.
   *
   * @throws IOException when the kernel refuses the write (the message names the file and why)
   */
  void write(Path file, String content) throws IOException;
}
