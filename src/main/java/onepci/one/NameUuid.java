package onepci.one;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Name-based UUIDs, version 5 (SHA-1), as RFC 4122 defines them and {@code uuidgen --sha1} makes them. */
public final class NameUuid {

  /** RFC 4122's namespace for X.500 distinguished names, {@code uuidgen --namespace @x500}. */
  public static final UUID X500 = UUID.fromString("6ba7b814-9dad-11d1-80b4-00c04fd430c8");

  private NameUuid() {}

  public static UUID sha1(UUID namespace, String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    byte[] message = new byte[16 + utf8.length];
    long msb = namespace.getMostSignificantBits();
    long lsb = namespace.getLeastSignificantBits();
    for (int i = 0; i < 8; i++) {
      message[i] = (byte) (msb >>> (56 - 8 * i));
      message[8 + i] = (byte) (lsb >>> (56 - 8 * i));
    }
    System.arraycopy(utf8, 0, message, 16, utf8.length);
    byte[] h = Sha1.digest(message);
    h[6] = (byte) ((h[6] & 0x0f) | 0x50);
    h[8] = (byte) ((h[8] & 0x3f) | 0x80);
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 8; i++) {
      hi = hi << 8 | (h[i] & 0xff);
      lo = lo << 8 | (h[8 + i] & 0xff);
    }
    return new UUID(hi, lo);
  }
}
