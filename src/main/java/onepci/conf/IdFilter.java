package onepci.conf;

import onepci.sysfs.PciId;

/**
 * One lspci {@code -d} filter: {@code [<vendor>]:[<device>][:<class>[:<prog-if>]]}, hexadecimal,
 * where an empty part or {@code *} matches anything. The class is the 16-bit class and subclass.
 *
 * <p>Fields are -1 when they match anything.
 */
public record IdFilter(int vendor, int device, int classId, int progIf, String text) {

  /** Matches no device that exists: vendor 0 is not assigned. OpenNebula ships this. */
  public static final String NONE = "0:0";

  /** Parses lspci syntax exactly as pciutils 3.9 accepts it; the message says what is wrong. */
  public static IdFilter parse(String text) throws InvalidFilterException {
    String[] parts = text.split(":", -1);
    if (parts.length < 2) {
      throw new InvalidFilterException(text, "at least two fields must be given, as in '10de:*'");
    }
    if (parts.length > 4) {
      throw new InvalidFilterException(text, "too many fields; the form is vendor:device[:class[:prog-if]]");
    }
    int vendor = field(text, parts[0], 0xffff, "vendor ID");
    int device = field(text, parts[1], 0xffff, "device ID");
    int cls = parts.length > 2 ? field(text, parts[2], 0xffff, "class code") : -1;
    int progIf = parts.length > 3 ? field(text, parts[3], 0xff, "programming interface") : -1;
    return new IdFilter(vendor, device, cls, progIf, text);
  }

  private static int field(String text, String value, int max, String what)
      throws InvalidFilterException {
    if (value.isEmpty() || value.equals("*")) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < value.length(); i++) {
      int d = Character.digit(value.charAt(i), 16);
      if (d < 0 || value.charAt(i) > 0x7f) {
        throw new InvalidFilterException(
            text, "invalid " + what + " '" + value + "': hexadecimal digits or '*' expected");
      }
      v = v * 16 + d;
      if (v > max) {
        throw new InvalidFilterException(
            text, "invalid " + what + " '" + value + "': larger than " + Integer.toHexString(max));
      }
    }
    return (int) v;
  }

  /** Whether vendor and device pass, whatever the class. */
  public boolean matchesIds(int vendorId, int deviceId) {
    return (vendor < 0 || vendor == vendorId) && (device < 0 || device == deviceId);
  }

  /** Whether the class decides too: a class or programming interface is given. */
  public boolean needsClass() {
    return classId >= 0 || progIf >= 0;
  }

  public boolean matches(PciId id) {
    return (vendor < 0 || vendor == id.vendor())
        && (device < 0 || device == id.device())
        && (classId < 0 || classId == id.classId())
        && (progIf < 0 || progIf == (id.classCode() & 0xff));
  }

  @Override
  public String toString() {
    return text;
  }
}
