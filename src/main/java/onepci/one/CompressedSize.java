package onepci.one;

import java.util.zip.Deflater;

/**
 * Whether a report stays small once zlib-compressed: OpenNebula's monitor sends the output of
 * every probe together, compressed, in one UDP message of at most 64 KiB.
 */
public final class CompressedSize {

  /** Past this a report leaves too little of the message for the other probes. */
  public static final int WARN_BYTES = 48 * 1024;

  private CompressedSize() {}

  /**
   * Whether {@code data} compressed with zlib's default level (header and checksum included) is
   * longer than {@code limit} bytes. Only as much is compressed as the answer needs: nothing when
   * even zlib's worst case fits, and no more once the output has passed the limit.
   */
  public static boolean exceeds(byte[] data, long limit) {
    if (data.length + 5L * (data.length / 16384 + 1) + 6 <= limit) {
      return false;
    }
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      d.setInput(data);
      d.finish();
      byte[] buf = new byte[8192];
      long total = 0;
      while (!d.finished()) {
        total += d.deflate(buf);
        if (total > limit) {
          return true;
        }
      }
      return false;
    } finally {
      d.end();
    }
  }
}
