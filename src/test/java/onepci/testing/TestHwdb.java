package onepci.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import onepci.sysfs.HostPaths;

/**
 * udev hardware databases for tests, compiled by the real {@code systemd-hwdb} (package udev):
 * {@code systemd-hwdb update --root DIR} reads {@code DIR/etc/udev/hwdb.d/*.hwdb} and writes
 * {@code DIR/etc/udev/hwdb.bin}, which is also where the probe looks under {@code --sysfs-root}.
 */
public final class TestHwdb {

  private static Path withoutPciNames;

  private TestHwdb() {}

  /**
   * A database that names no PCI device (one USB entry: systemd-hwdb writes nothing for no
   * entries), for tests whose names must come from their own pci.ids alone. Compiled once.
   */
  public static synchronized Path withoutPciNames() {
    if (withoutPciNames == null) {
      Path dir = Path.of("target", "test-hwdb", "without-pci-names").toAbsolutePath();
      withoutPciNames = compile(dir, Map.of("50-usb-only.hwdb", "usb:v1D6Bp0002*\n ID_MODEL_FROM_DATABASE=2.0 root hub\n"));
    }
    return withoutPciNames;
  }

  /**
   * Compiles the sources (file name to text, such as {@code 50-test.hwdb}) under {@code root}
   * and returns {@code root/etc/udev/hwdb.bin}.
   */
  public static Path compile(Path root, Map<String, String> sources) {
    try {
      Path dir = root.resolve("etc/udev/hwdb.d");
      Files.createDirectories(dir);
      for (Map.Entry<String, String> e : sources.entrySet()) {
        Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
      }
      run(List.of("systemd-hwdb", "update", "--root", root.toString()));
      Path bin = root.resolve("etc/udev/hwdb.bin");
      if (!Files.isRegularFile(bin)) {
        throw new IllegalStateException("systemd-hwdb update --root " + root + " wrote no " + bin);
      }
      return bin;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What {@code systemd-hwdb query} prints for a modalias, as a map; {@code root} empty for the
   * database this machine's udev uses.
   */
  public static Map<String, String> query(Optional<Path> root, String modalias) {
    List<String> argv = root.isPresent()
        ? List.of("systemd-hwdb", "query", "--root", root.get().toString(), modalias)
        : List.of("systemd-hwdb", "query", modalias);
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : run(argv).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        out.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return out;
  }

  /** The hwdb.bin this machine's udev reads (the first of sd-hwdb's places that exists). */
  public static Path machineDatabase() {
    return HostPaths.real().hwdbCandidates().stream()
        .filter(Files::isRegularFile)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "no hwdb.bin on this machine: install udev (its postinst runs systemd-hwdb update)"));
  }

  private static String run(List<String> argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(String.join(" ", argv) + ": " + e.getMessage() + " (install udev)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
