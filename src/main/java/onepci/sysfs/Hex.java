package onepci.sysfs;

/**
 * Lowercase hexadecimal with leading zeros, as lspci and OpenNebula print ids and addresses.
 *
 * <p>{@code String.format("%04x", ...)} gives the same text, but its first call loads and runs
 * java.util.Formatter's parser, and the probe formats a dozen numbers per device.
 */
public final class Hex {

  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private Hex() {}

  /** {@code value} in at least {@code digits} hex digits: {@code of(0x10de, 4)} is {@code 10de}, {@code of(6, 2)} {@code 06}. */
  public static String of(int value, int digits) {
    StringBuilder sb = new StringBuilder(8);
    append(sb, value, digits);
    return sb.toString();
  }

  /** Appends {@link #of} to {@code sb}. */
  public static StringBuilder append(StringBuilder sb, int value, int digits) {
    int n = Math.max(digits, (35 - Integer.numberOfLeadingZeros(value | 1)) / 4);
    for (int shift = (n - 1) * 4; shift >= 0; shift -= 4) {
      sb.append(DIGITS[(value >>> shift) & 0xf]);
    }
    return sb;
  }
}
