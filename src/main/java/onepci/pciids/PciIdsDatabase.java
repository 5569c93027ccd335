package onepci.pciids;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import onepci.sysfs.HostPaths;

/**
 * The {@code pci.ids} file lspci reads, looked up lazily: one pass over the bytes that keeps only
 * the names asked for.
 */
public final class PciIdsDatabase {

  private final Path file;

  public PciIdsDatabase(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The first existing file among the candidates, in order. */
  public static Optional<PciIdsDatabase> find(List<Path> candidates) {
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isReadable(p)) {
        return Optional.of(new PciIdsDatabase(p));
      }
    }
    return Optional.empty();
  }

  /**
   * The database the probe names a host's devices with: the usual places under the host's root,
   * then on this machine when the root is a scratch tree.
   */
  public static Optional<PciIdsDatabase> find(HostPaths paths) {
    Optional<PciIdsDatabase> found = find(paths.pciIdsCandidates());
    if (found.isEmpty() && !paths.isRealRoot()) {
      found = find(HostPaths.real().pciIdsCandidates());
    }
    return found;
  }

  /** A set of ids to name. */
  public static final class Request {
    final Set<Integer> vendors = new HashSet<>();
    final Set<Integer> devices = new HashSet<>();
    final Set<Integer> classes = new HashSet<>();

    public Request vendor(int vendor) {
      vendors.add(vendor);
      return this;
    }

    public Request device(int vendor, int device) {
      vendors.add(vendor);
      devices.add(vendor << 16 | device);
      return this;
    }

    /** A 16-bit class and subclass. */
    public Request classId(int classId) {
      classes.add(classId);
      return this;
    }

    boolean isEmpty() {
      return vendors.isEmpty() && devices.isEmpty() && classes.isEmpty();
    }
  }

  /** Names for what the request holds. */
  public PciNames lookup(Request request) throws IOException {
    if (request.isEmpty()) {
      return PciNames.none();
    }
    byte[] data = read(file);
    return scan(data, request);
  }

  static byte[] read(Path file) throws IOException {
    if (file.getFileName().toString().endsWith(".gz")) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
        return in.readAllBytes();
      }
    }
    return Files.readAllBytes(file);
  }

  static PciNames scan(byte[] b, Request rq) {
    Map<Integer, String> vendors = new HashMap<>();
    Map<Integer, String> devices = new HashMap<>();
    Map<Integer, String> classes = new HashMap<>();
    boolean inClasses = false;
    int vendor = -1; // current vendor when it is one asked for, else -1
    int cls = -1; // current base class, in the class section
    int n = b.length;
    int i = 0;
    while (i < n) {
      int end = i;
      while (end < n && b[end] != '\n') {
        end++;
      }
      int c0 = b[i];
      if (c0 == '#' || end - i < 4) {
        // comment or blank
      } else if (c0 == 'C' && b[i + 1] == ' ') {
        inClasses = true;
        vendor = -1;
        cls = hex(b, i + 2, 2);
        if (cls >= 0) {
          for (int sub : rq.classes) {
            if (sub >>> 8 == cls && !classes.containsKey(0x10000 | cls)) {
              classes.put(0x10000 | cls, name(b, i + 6, end));
            }
          }
        }
      } else if (c0 == '\t') {
        if (b[i + 1] != '\t') {
          if (inClasses) {
            int sub = hex(b, i + 1, 2);
            if (cls >= 0 && sub >= 0 && rq.classes.contains(cls << 8 | sub)) {
              classes.put(cls << 8 | sub, name(b, i + 5, end));
            }
          } else if (vendor >= 0) {
            int dev = hex(b, i + 1, 4);
            if (dev >= 0 && rq.devices.contains(vendor << 16 | dev)) {
              devices.put(vendor << 16 | dev, name(b, i + 7, end));
            }
          }
        }
      } else if (!inClasses) {
        int v = hex(b, i, 4);
        vendor = -1;
        if (v >= 0 && rq.vendors.contains(v)) {
          vendors.putIfAbsent(v, name(b, i + 6, end));
          vendor = v;
        }
      } else {
        cls = -1;
      }
      i = end + 1;
    }
    return new PciNames(vendors, devices, classes);
  }

  private static int hex(byte[] b, int from, int len) {
    if (from + len > b.length) {
      return -1;
    }
    int v = 0;
    for (int k = from; k < from + len; k++) {
      int d = Character.digit(b[k], 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  private static String name(byte[] b, int from, int end) {
    int s = Math.min(from, end);
    int e = end;
    if (e > s && b[e - 1] == '\r') {
      e--;
    }
    return new String(b, s, e - s, StandardCharsets.UTF_8).strip();
  }
}
