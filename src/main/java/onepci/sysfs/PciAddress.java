package onepci.sysfs;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function address: domain, bus, slot (device) and function.
 *
 * <p>Three spellings matter to this project: the kernel's ({@code 0000:e1:00.0}, the name of the
 * folder under {@code /sys/bus/pci/devices}), lspci's slot string ({@code e1:00.0}, with the domain
 * in front only when it is not zero) and OpenNebula's ADDRESS ({@code 0000:e1:00:0}).
 */
public record PciAddress(int domain, int bus, int slot, int function) implements Comparable<PciAddress> {

  private static final Pattern FULL =
      Pattern.compile("([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})[.:]([0-7])");
  private static final Pattern SHORT =
      Pattern.compile("([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-7])");
  private static final Comparator<PciAddress> ORDER =
      Comparator.comparingInt(PciAddress::domain)
          .thenComparingInt(PciAddress::bus)
          .thenComparingInt(PciAddress::slot)
          .thenComparingInt(PciAddress::function);

  public PciAddress {
    if (domain < 0 || bus < 0 || bus > 0xff || slot < 0 || slot > 0x1f || function < 0 || function > 7) {
      throw new IllegalArgumentException(
          "not a PCI address: domain " + domain + " bus " + bus + " slot " + slot + " function " + function);
    }
  }

  /**
   * Parses {@code DDDD:BB:SS.F}, OpenNebula's {@code DDDD:BB:SS:F}, or lspci's short {@code BB:SS.F}
   * (domain 0).
   */
  public static PciAddress parse(String text) {
    String s = text.strip();
    Matcher m = FULL.matcher(s);
    if (m.matches()) {
      return new PciAddress(
          (int) Long.parseLong(m.group(1), 16),
          Integer.parseInt(m.group(2), 16),
          Integer.parseInt(m.group(3), 16),
          Integer.parseInt(m.group(4)));
    }
    m = SHORT.matcher(s);
    if (m.matches()) {
      return new PciAddress(
          0,
          Integer.parseInt(m.group(1), 16),
          Integer.parseInt(m.group(2), 16),
          Integer.parseInt(m.group(3)));
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a PCI address (expected DDDD:BB:SS.F, such as 0000:e1:00.0)");
  }

  /** Like {@link #parse} but answers null for anything that is not an address. */
  public static PciAddress parseOrNull(String text) {
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The domain as lspci and OpenNebula print it: at least four lowercase hex digits. */
  public String domainHex() {
    return String.format("%04x", domain);
  }

  public String busHex() {
    return String.format("%02x", bus);
  }

  public String slotHex() {
    return String.format("%02x", slot);
  }

  /** The kernel's name: {@code 0000:e1:00.0}. */
  @Override
  public String toString() {
    return domainHex() + ":" + busHex() + ":" + slotHex() + "." + function;
  }

  /** lspci's slot string: {@code e1:00.0}, prefixed by the domain when it is not 0. */
  public String shortAddress() {
    String s = busHex() + ":" + slotHex() + "." + function;
    return domain == 0 ? s : domainHex() + ":" + s;
  }

  /** OpenNebula's ADDRESS: {@code 0000:e1:00:0}. */
  public String oneAddress() {
    return domainHex() + ":" + busHex() + ":" + slotHex() + ":" + function;
  }

  @Override
  public int compareTo(PciAddress other) {
    return ORDER.compare(this, other);
  }
}
