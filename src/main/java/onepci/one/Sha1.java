package onepci.one;

/**
 * SHA-1 (FIPS 180-4) of a short message, for name-based UUIDs.
 *
 * <p>{@code MessageDigest.getInstance("SHA-1")} gives the same digest, but its first call sets up
 * the security provider framework, tens of milliseconds of the probe's run on a host with vGPUs.
 */
final class Sha1 {

  private Sha1() {}

  /** The 20-byte digest of {@code message}. */
  static byte[] digest(byte[] message) {
    long bits = (long) message.length * 8;
    int padded = ((message.length + 8) / 64 + 1) * 64;
    byte[] m = new byte[padded];
    System.arraycopy(message, 0, m, 0, message.length);
    m[message.length] = (byte) 0x80;
    for (int i = 0; i < 8; i++) {
      m[padded - 1 - i] = (byte) (bits >>> (8 * i));
    }
    int h0 = 0x67452301, h1 = 0xEFCDAB89, h2 = 0x98BADCFE, h3 = 0x10325476, h4 = 0xC3D2E1F0;
    int[] w = new int[80];
    for (int block = 0; block < padded; block += 64) {
      for (int t = 0; t < 16; t++) {
        int at = block + 4 * t;
        w[t] = (m[at] & 0xff) << 24 | (m[at + 1] & 0xff) << 16 | (m[at + 2] & 0xff) << 8 | (m[at + 3] & 0xff);
      }
      for (int t = 16; t < 80; t++) {
        w[t] = Integer.rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
      }
      int a = h0, b = h1, c = h2, d = h3, e = h4;
      for (int t = 0; t < 80; t++) {
        int f;
        int k;
        if (t < 20) {
          f = (b & c) | (~b & d);
          k = 0x5A827999;
        } else if (t < 40) {
          f = b ^ c ^ d;
          k = 0x6ED9EBA1;
        } else if (t < 60) {
          f = (b & c) | (b & d) | (c & d);
          k = 0x8F1BBCDC;
        } else {
          f = b ^ c ^ d;
          k = 0xCA62C1D6;
        }
        int temp = Integer.rotateLeft(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = Integer.rotateLeft(b, 30);
        b = a;
        a = temp;
      }
      h0 += a;
      h1 += b;
      h2 += c;
      h3 += d;
      h4 += e;
    }
    byte[] out = new byte[20];
    int[] h = {h0, h1, h2, h3, h4};
    for (int i = 0; i < 5; i++) {
      out[4 * i] = (byte) (h[i] >>> 24);
      out[4 * i + 1] = (byte) (h[i] >>> 16);
      out[4 * i + 2] = (byte) (h[i] >>> 8);
      out[4 * i + 3] = (byte) h[i];
    }
    return out;
  }
}
