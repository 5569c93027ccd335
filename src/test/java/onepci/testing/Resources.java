package onepci.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Test resources as text or as files. */
public final class Resources {

  private Resources() {}

  public static String text(String name) {
    try (InputStream in = Resources.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies a resource to {@code dir} and returns the copy. */
  public static Path file(String name, Path dir) {
    try (InputStream in = Resources.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      Path p = dir.resolve(Path.of(name).getFileName().toString());
      Files.createDirectories(dir);
      Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Unpacks the real sysfs capture of a VM with an H100 passed through (fixtures/README in the
   * shared folder) and returns the folder that stands in for {@code /}.
   */
  public static Path h100GuestRoot(Path dir) {
    Path tar = file("fixtures/h100-firecracker-guest.tar.gz", dir.resolve("tar"));
    try {
      Process p = new ProcessBuilder("tar", "-xzf", tar.toString(), "-C", dir.toString())
          .redirectErrorStream(true)
          .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("tar failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return dir.resolve("root");
  }
}
