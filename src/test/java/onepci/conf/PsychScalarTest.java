package onepci.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * PsychScalar against the real Psych: thousands of plain scalars, hand-picked and generated from
 * the characters that decide a YAML type, each read by {@code scalar-kinds.rb} as the stock probe's
 * {@code YAML.load_file} reads it. Needs ruby (.ci/run installs it).
 */
class PsychScalarTest {

  static final List<String> PICKED = List.of(
      "10de", "10de:*", "0300", "0302", "0800", "0:0", "*:*x", "07:00.0", "e1:00.0", "10:00.0", "0001:07:00.0",
      "1,000", "1_000", "0x1F", "0b101", "0b_", "0x_", "-0b,", "0o17", ".inf", "-.Inf", "+.INF", ".NaN", ".nan",
      "yes", "No", "ON", "oFf", "true", "FALSE", "y", "n", "Y", "null", "NULL", "nUlL", "~", "2024-01-01",
      "2024-1-1", "2024-01-01 10:00:00", "2024-01-01T10:00:00Z", "1e3", "1.e+3", ".e+3", "+.", "-.", ".", "12:30:45",
      "1:2:3:4", ":sym", ":\"q\"", "1.5", "-1", "+1", "0", "00", "08", "1__2", "10de:*:0302", "15b3::0207",
      "8086:1572", "h100", "H100", "nvidia", "offline", "onetwo", "trueish", "-", "--", "1.2.3", "0.", "._1",
      ":sym*", "1/2", "12:30*", "~x", "a~", "(1)", "0x1f/", "é1", "1é", "_1", "__", "y~", "n/a");
  static final String ALPHABET = "0123456789:._,+-eExXbBoOaAdDfFnNyYtTlLsSuUrR~iI*/=;é";

  @Test
  void readsEveryPlainScalarAsPsychDoes() throws Exception {
    Set<String> samples = new LinkedHashSet<>(PICKED);
    Random rnd = new Random(20261202);
    while (samples.size() < 4000) {
      int n = 1 + rnd.nextInt(7);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        sb.append(ALPHABET.charAt(rnd.nextInt(i == 0 ? 14 : ALPHABET.length())));
      }
      samples.add(sb.toString());
    }
    Process p = new ProcessBuilder("ruby", "src/test/resources/pciconf/scalar-kinds.rb").redirectErrorStream(true).start();
    p.getOutputStream().write((String.join("\n", samples) + "\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    List<String> wrong = new ArrayList<>();
    int compared = 0;
    for (String line : out.split("\n")) {
      String psych = line.substring(0, line.indexOf(' '));
      String s = line.substring(line.indexOf(' ') + 1);
      if (psych.equals("syntax")) {
        continue;
      }
      compared++;
      Object v = PsychScalar.read(s);
      String ours = v == PsychScalar.NULL ? "null"
          : v instanceof PsychScalar.Other o ? (o.refused() ? "refused" : "other")
          : v.equals(s) ? "text" : "other-text";
      if (!ours.equals(psych)) {
        wrong.add(s + ": Psych " + psych + ", one-pci " + ours);
      }
    }
    assertThat(compared).as("scalars compared").isGreaterThan(3000);
    assertThat(wrong).isEmpty();
  }
}
