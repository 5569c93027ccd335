package onepci.sysfs;

import java.util.ArrayList;
import java.util.List;

/**
 * One memory region of a PCI function, from a line of its sysfs {@code resource} file
 * ({@code start end flags}, hexadecimal). Lines 0 to 5 are the BARs, line 6 the expansion ROM.
 *
 * @param index the BAR number (the line in {@code resource})
 */
public record PciBar(int index, long start, long end, long flags) {

  /** The kernel's IORESOURCE_MEM flag: a memory (not I/O port) region. */
  static final long MEM = 0x200;
  /** The kernel's IORESOURCE_PREFETCH flag. */
  static final long PREFETCH = 0x2000;
  /** The kernel's IORESOURCE_MEM_64 flag: the BAR takes 64-bit addresses. */
  static final long MEM_64 = 0x100000;

  public long size() {
    return start == 0 && end == 0 ? 0 : end - start + 1;
  }

  public boolean isMemory() {
    return (flags & MEM) != 0;
  }

  public boolean is64Bit() {
    return (flags & MEM_64) != 0;
  }

  public boolean isPrefetchable() {
    return (flags & PREFETCH) != 0;
  }

  /**
   * The total size of the 64-bit memory BARs in the text of a {@code resource} file: what a guest
   * firmware's 64-bit MMIO window must hold for the device.
   *
   * @throws IllegalArgumentException naming the line that is not three hex numbers
   */
  public static long total64(String resource) {
    long total = 0;
    for (PciBar b : parse(resource)) {
      if (b.isMemory() && b.is64Bit()) {
        total += b.size();
      }
    }
    return total;
  }

  /**
   * The six BARs that are in use, from the text of a {@code resource} file.
   *
   * @throws IllegalArgumentException naming the line that is not three hex numbers
   */
  public static List<PciBar> parse(String resource) {
    List<PciBar> out = new ArrayList<>();
    String[] lines = resource.split("\n");
    for (int i = 0; i < Math.min(6, lines.length); i++) {
      String[] f = lines[i].strip().split("\\s+");
      if (f.length != 3) {
        throw new IllegalArgumentException("resource line " + (i + 1) + " '" + lines[i] + "' is not 'start end flags'");
      }
      try {
        PciBar bar = new PciBar(i, Long.parseUnsignedLong(hex(f[0]), 16), Long.parseUnsignedLong(hex(f[1]), 16), Long.parseUnsignedLong(hex(f[2]), 16));
        if (bar.size() > 0) {
          out.add(bar);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("resource line " + (i + 1) + " '" + lines[i] + "' is not three hex numbers", e);
      }
    }
    return out;
  }

  private static String hex(String s) {
    return s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
  }
}
