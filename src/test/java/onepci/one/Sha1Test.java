package onepci.one;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha1Test {

  @Test
  void theStandardsTestVectors() {
    assertThat(HexFormat.of().formatHex(Sha1.digest("abc".getBytes()))).isEqualTo("a9993e364706816aba3e25717850c26c9cd0d89d");
    assertThat(HexFormat.of().formatHex(Sha1.digest(new byte[0]))).isEqualTo("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assertThat(HexFormat.of().formatHex(Sha1.digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes())))
        .isEqualTo("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  }

  @Test
  void theSameDigestAsTheRuntimesForEveryLengthAroundTheBlockEdges() throws Exception {
    Random rnd = new Random(4122);
    for (int n = 0; n <= 200; n++) {
      byte[] m = new byte[n];
      rnd.nextBytes(m);
      assertThat(Sha1.digest(m)).as("%d bytes", n).isEqualTo(MessageDigest.getInstance("SHA-1").digest(m));
    }
  }
}
