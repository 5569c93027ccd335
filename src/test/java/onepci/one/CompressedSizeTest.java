package onepci.one;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;

class CompressedSizeTest {

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static int zlibSize(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
      z.write(data);
    }
    return out.size();
  }

  @Test
  void decidesAsAFullCompressionDoesAroundTheLimit() throws Exception {
    for (int n : new int[] {100, 40_000, 49_100, 49_200, 60_000, 200_000}) {
      byte[] data = random(n, n);
      int size = zlibSize(data);
      assertThat(CompressedSize.exceeds(data, size)).as("%d random bytes against their own size", n).isFalse();
      assertThat(CompressedSize.exceeds(data, size - 1)).as("%d random bytes against one byte less", n).isTrue();
    }
  }

  @Test
  void aLongButRepetitiveReportStaysUnder() {
    byte[] data = "PCI = [\n TYPE = \"15b3:101e:0200\" ,\n]\n".repeat(20_000).getBytes();

    assertThat(data.length).isGreaterThan(CompressedSize.WARN_BYTES * 10);
    assertThat(CompressedSize.exceeds(data, CompressedSize.WARN_BYTES)).isFalse();
  }
}
