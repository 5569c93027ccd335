package onepci.sysfs;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * {@code /proc/bus/pci/devices}: the kernel's list of every PCI function with its vendor and
 * device id, one world-readable file, so a filter on ids can be decided without opening a
 * device's folder.
 *
 * <p>A line is {@code BBDF\tVVVVDDDD\tIRQ\tBARs...\tdriver}: bus and devfn in hex, then vendor
 * and device, as the kernel's {@code drivers/pci/proc.c} prints them. The PCI domain is not in
 * it, so a line stands for every function with that bus, slot and function in any domain; the
 * answers here are about such a key, never about one address.
 */
public final class ProcPciDevices {

  /** The ids at one key, unsorted; a key's count says how many functions the kernel listed. */
  private final int[][] idsByKey;

  private ProcPciDevices(int[][] idsByKey) {
    this.idsByKey = idsByKey;
  }

  /**
   * The list as the kernel gives it; empty when the file is missing, unreadable, empty or not in
   * the kernel's format (a line without {@code BBDF\tVVVVDDDD}): then it cannot be trusted to
   * leave a device out, and the caller reads every device as it would without it.
   */
  public static Optional<ProcPciDevices> read(Path file) {
    byte[] data;
    try (FileInputStream in = new FileInputStream(file.toString())) {
      data = in.readAllBytes(); // procfs reports size 0: read to the end
    } catch (IOException e) {
      return Optional.empty();
    }
    return parse(data);
  }

  static Optional<ProcPciDevices> parse(byte[] data) {
    int[][] byKey = new int[1 << 16][];
    int lines = 0;
    int i = 0;
    int n = data.length;
    while (i < n) {
      if (i + 13 > n || data[i + 4] != '\t' || !(i + 13 == n || data[i + 13] == '\t' || data[i + 13] == '\n')) {
        return Optional.empty();
      }
      int key = hex(data, i, 4);
      int id = hex(data, i + 5, 8);
      if (key < 0 || (id == -1 && !isAllF(data, i + 5))) {
        return Optional.empty();
      }
      int[] ids = byKey[key];
      if (ids == null) {
        byKey[key] = new int[] {id};
      } else {
        ids = Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = id;
        byKey[key] = ids;
      }
      lines++;
      i += 13;
      while (i < n && data[i] != '\n') {
        i++;
      }
      i++;
    }
    return lines == 0 ? Optional.empty() : Optional.of(new ProcPciDevices(byKey));
  }

  /** The key of an address in this file: its bus and devfn, without the domain. */
  public static int key(PciAddress a) {
    return a.bus() << 8 | a.slot() << 3 | a.function();
  }

  /** How many functions the kernel listed with this bus, slot and function, in all domains. */
  public int count(int key) {
    int[] ids = idsByKey[key];
    return ids == null ? 0 : ids.length;
  }

  /**
   * The ids ({@code vendor << 16 | device}) listed at this key, one per function, in no
   * particular order; empty when none.
   */
  public int[] ids(int key) {
    int[] ids = idsByKey[key];
    return ids == null ? new int[0] : ids.clone();
  }

  /** Fixed-width lower- or upper-case hex; -1 when a character is not a hex digit. */
  private static int hex(byte[] b, int from, int width) {
    int v = 0;
    for (int k = from; k < from + width; k++) {
      int c = b[k];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  private static boolean isAllF(byte[] b, int from) {
    for (int k = from; k < from + 8; k++) {
      if (b[k] != 'f' && b[k] != 'F') {
        return false;
      }
    }
    return true;
  }
}
