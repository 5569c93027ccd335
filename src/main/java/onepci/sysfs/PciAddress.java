package onepci.sysfs;

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
    PciAddress kernel = parseKernelName(text);
    if (kernel != null) {
      return kernel;
    }
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

  /**
   * The common case without a regular expression: a folder name under {@code /sys/bus/pci/devices}
   * ({@code 0000:e1:00.0}, lowercase, four-digit domain); null for anything else.
   */
  private static PciAddress parseKernelName(String s) {
    if (s.length() != 12 || s.charAt(4) != ':' || s.charAt(7) != ':' || s.charAt(10) != '.') {
      return null;
    }
    int domain = hex(s, 0, 4);
    int bus = hex(s, 5, 2);
    int slot = hex(s, 8, 2);
    int function = s.charAt(11) - '0';
    if (domain < 0 || bus < 0 || slot < 0 || slot > 0x1f || function < 0 || function > 7) {
      return null;
    }
    return new PciAddress(domain, bus, slot, function);
  }

  private static int hex(String s, int from, int length) {
    int v = 0;
    for (int i = from; i < from + length; i++) {
      char c = s.charAt(i);
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
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
    return Hex.of(domain, 4);
  }

  public String busHex() {
    return Hex.of(bus, 2);
  }

  public String slotHex() {
    return Hex.of(slot, 2);
  }

  /** The kernel's name: {@code 0000:e1:00.0}. */
  @Override
  public String toString() {
    return spell(true, '.');
  }

  /** lspci's slot string: {@code e1:00.0}, prefixed by the domain when it is not 0. */
  public String shortAddress() {
    return spell(domain != 0, '.');
  }

  /** OpenNebula's ADDRESS: {@code 0000:e1:00:0}. */
  public String oneAddress() {
    return spell(true, ':');
  }

  private String spell(boolean withDomain, char beforeFunction) {
    StringBuilder sb = new StringBuilder(14);
    if (withDomain) {
      Hex.append(sb, domain, 4).append(':');
    }
    Hex.append(sb, bus, 2).append(':');
    return Hex.append(sb, slot, 2).append(beforeFunction).append(function).toString();
  }

  /** Address order: domain, bus, slot, function. */
  @Override
  public int compareTo(PciAddress other) {
    int c = Integer.compare(domain, other.domain);
    if (c == 0) {
      c = Integer.compare(bus, other.bus);
    }
    if (c == 0) {
      c = Integer.compare(slot, other.slot);
    }
    return c == 0 ? Integer.compare(function, other.function) : c;
  }

  // equals and hashCode written out: a record's generated ones bootstrap java.lang.invoke
  // (ObjectMethods) at their first call, milliseconds of the probe's start-up; the probe looks
  // addresses up in maps and sets (udev rename rules, :short_address:). ProbeStartupIT checks.
  @Override
  public boolean equals(Object o) {
    return o instanceof PciAddress a && a.domain == domain && a.bus == bus && a.slot == slot && a.function == function;
  }

  @Override
  public int hashCode() {
    return ((domain * 31 + bus) * 31 + slot) * 31 + function;
  }
}
