package onepci.pciids;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
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
import java.util.zip.ZipException;

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

  /**
   * Names for what the request holds.
   *
   * @throws IOException when the file cannot be read or is not in pci.ids format; the message
   *     names the file (and the line)
   */
  public PciNames lookup(Request request) throws IOException {
    if (request.isEmpty()) {
      return PciNames.none();
    }
    byte[] data = read(file);
    return scan(data, request, file);
  }

  /** The file's bytes, uncompressed when it is gzip data (libpci reads it with gzopen too). */
  static byte[] read(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    if (raw.length < 2 || raw[0] != (byte) 0x1f || raw[1] != (byte) 0x8b) {
      return raw;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
      return in.readAllBytes();
    } catch (EOFException e) {
      throw new IOException(file + ": the compressed PCI ID database is cut short");
    } catch (ZipException e) {
      throw new IOException(file + ": the compressed PCI ID database is damaged");
    }
  }

  // what a line opens, as libpci's parser (names-parse.c) tracks it
  private static final int NONE = 0;
  private static final int VENDOR = 1;
  private static final int DEVICE = 2;
  private static final int SUBSYSTEM = 3;
  private static final int GENERIC_SUBSYSTEM = 4;
  private static final int CLASS = 5;
  private static final int SUBCLASS = 6;
  private static final int PROG_IF = 7;
  private static final int UNKNOWN_BLOCK = 8;

  /**
   * One pass over the file keeping the names asked for. Every line is checked against the format
   * as libpci's parser checks it (lspci refuses a file with a line it cannot parse), and the first
   * line that is not in it makes the whole file unusable.
   *
   * @throws IOException naming the line when the file is not in pci.ids format
   */
  static PciNames scan(byte[] b, Request rq, Path file) throws IOException {
    Map<Integer, String> vendors = new HashMap<>();
    Map<Integer, String> devices = new HashMap<>();
    Map<Integer, String> classes = new HashMap<>();
    int cat = NONE;
    int vendor = -1; // current vendor when it is one asked for, else -1
    int cls = -1; // current base class, in the class section
    int n = b.length;
    int i = 0;
    int line = 0;
    while (i < n) {
      line++;
      int end = i;
      while (end < n && b[end] != '\n' && b[end] != '\r') {
        end++;
      }
      int next = end;
      while (next < n && b[next] != '\n') {
        next++;
      }
      next++;
      int p = i;
      while (p < end && (b[p] == ' ' || b[p] == '\t')) {
        p++;
      }
      if (p == end || b[p] == '#') {
        i = next;
        continue;
      }
      p = i;
      while (p < end && b[p] == '\t') {
        p++;
      }
      int nest = p - i;
      String problem = null;
      if (nest == 0) {
        if (at(b, p, end, 'C') && at(b, p + 1, end, ' ')) {
          cls = hex(b, p + 2, 2, end);
          cat = CLASS;
          vendor = -1;
          if (cls < 0 || !white(b, p + 4, end)) {
            problem = "a class line is 'C', a space, two hex digits and a name";
          } else if ((problem = needName(b, p + 5, end)) == null) {
            for (int sub : rq.classes) {
              if (sub >>> 8 == cls && !classes.containsKey(0x10000 | cls)) {
                classes.put(0x10000 | cls, name(b, p + 5, end));
              }
            }
          }
        } else if (at(b, p, end, 'S') && at(b, p + 1, end, ' ')) {
          cat = GENERIC_SUBSYSTEM;
          vendor = -1;
          if (hex(b, p + 2, 4, end) < 0 || p + 6 != end) {
            problem = "a subsystem block line is 'S', a space and four hex digits";
          }
        } else if (p + 1 < end && b[p] >= 'A' && b[p] <= 'Z' && b[p + 1] == ' ') {
          cat = UNKNOWN_BLOCK;
          vendor = -1;
        } else {
          int v = hex(b, p, 4, end);
          cat = VENDOR;
          vendor = -1;
          if (v < 0 || !white(b, p + 4, end)) {
            problem = "a vendor line is four hex digits and a name";
          } else if ((problem = needName(b, p + 5, end)) == null && rq.vendors.contains(v)) {
            vendors.putIfAbsent(v, name(b, p + 5, end));
            vendor = v;
          }
        }
      } else if (cat == UNKNOWN_BLOCK) {
        // lines of a block libpci does not know are skipped
      } else if (nest == 1) {
        if (cat == VENDOR || cat == DEVICE || cat == SUBSYSTEM || cat == GENERIC_SUBSYSTEM) {
          int dev = hex(b, p, 4, end);
          cat = cat == GENERIC_SUBSYSTEM ? GENERIC_SUBSYSTEM : DEVICE;
          if (dev < 0 || !white(b, p + 4, end)) {
            problem = "a device line is a tab, four hex digits and a name";
          } else if ((problem = needName(b, p + 5, end)) == null && cat == DEVICE && vendor >= 0
              && rq.devices.contains(vendor << 16 | dev)) {
            devices.put(vendor << 16 | dev, name(b, p + 5, end));
          }
        } else if (cat == CLASS || cat == SUBCLASS || cat == PROG_IF) {
          int sub = hex(b, p, 2, end);
          cat = SUBCLASS;
          if (sub < 0 || !white(b, p + 2, end)) {
            problem = "a subclass line is a tab, two hex digits and a name";
          } else if ((problem = needName(b, p + 3, end)) == null && cls >= 0 && rq.classes.contains(cls << 8 | sub)) {
            classes.put(cls << 8 | sub, name(b, p + 3, end));
          }
        } else {
          problem = "an indented line before any vendor or class";
        }
      } else if (nest == 2) {
        if (cat == DEVICE || cat == SUBSYSTEM) {
          cat = SUBSYSTEM;
          if (hex(b, p, 4, end) < 0 || !white(b, p + 4, end) || hex(b, p + 5, 4, end) < 0 || !white(b, p + 9, end)) {
            problem = "a subsystem line is two tabs, two groups of four hex digits and a name";
          } else {
            problem = needName(b, p + 10, end);
          }
        } else if (cat == CLASS || cat == SUBCLASS || cat == PROG_IF) {
          cat = PROG_IF;
          if (hex(b, p, 2, end) < 0 || !white(b, p + 2, end)) {
            problem = "a programming interface line is two tabs, two hex digits and a name";
          } else {
            problem = needName(b, p + 3, end);
          }
        } else {
          problem = "a line indented twice that is not under a device or a subclass";
        }
      } else {
        problem = "a line indented more than twice";
      }
      if (problem != null) {
        throw new IOException(file + ": line " + line + " is not in pci.ids format (" + problem + ")");
      }
      i = next;
    }
    return new PciNames(vendors, devices, classes);
  }

  private static boolean at(byte[] b, int k, int end, char c) {
    return k < end && b[k] == c;
  }

  private static boolean white(byte[] b, int k, int end) {
    return k < end && (b[k] == ' ' || b[k] == '\t');
  }

  /** Null when a name follows the id at {@code from}, else what is wrong. */
  private static String needName(byte[] b, int from, int end) {
    for (int k = from; k < end; k++) {
      if (b[k] != ' ' && b[k] != '\t') {
        return null;
      }
    }
    return "an id without a name";
  }

  private static int hex(byte[] b, int from, int len, int end) {
    if (from + len > end) {
      return -1;
    }
    int v = 0;
    for (int k = from; k < from + len; k++) {
      int c = b[k];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
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
