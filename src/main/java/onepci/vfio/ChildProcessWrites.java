package onepci.vfio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes through a {@code dd} child process rather than from a JVM thread: a kernel write that
 * hangs (an unbind waiting for a driver's users) leaves only that child stuck in the kernel, and
 * this process can give up on it and exit.
 *
 * <p>When the waiting thread is interrupted (see {@link BoundedWrites}) the child is killed and
 * left behind; it goes away when the kernel lets go of it.
 */
public final class ChildProcessWrites implements KernelWrites {

  @Override
  public void write(Path file, String content) throws IOException {
    Process p = new ProcessBuilder("dd", "of=" + file, "bs=4096", "count=1")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(content.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // dd gave up before reading (it could not open the file): its stderr and status say why
    }
    try {
      byte[] err;
      try (InputStream e = p.getErrorStream()) {
        err = e.readAllBytes();
      }
      int status = p.waitFor();
      if (status != 0) {
        throw new IOException(file + ": write refused: " + reason(new String(err, StandardCharsets.UTF_8)));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(file + ": write abandoned", e);
    }
  }

  /** dd's own complaint ({@code dd: error writing '...': No such device}), reduced to its cause. */
  static String reason(String ddErr) {
    for (String line : ddErr.split("\n")) {
      if (line.startsWith("dd:")) {
        int colon = line.lastIndexOf(": ");
        return colon > 0 ? line.substring(colon + 2).strip() : line.substring(3).strip();
      }
    }
    return ddErr.isBlank() ? "dd failed" : ddErr.strip();
  }
}
