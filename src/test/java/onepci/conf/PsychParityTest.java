package onepci.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every pci.conf of the corpus ({@code src/test/resources/pciconf/corpus}) read by the real Ruby
 * Psych, as OpenNebula's stock probe reads it ({@code stock-reading.rb}: {@code YAML.load_file}
 * merged over pci.rb's defaults, then pci.rb's own calls on each setting), and by one-pci: the same
 * settings when both accept, a rejection by one-pci (with its exact message: file, line, reason)
 * when Psych or the stock probe's use of the result fails. Where one-pci differs on purpose, the
 * table below says so and why, file by file, and the test checks that the difference is the one
 * stated. Needs ruby (.ci/run installs it).
 */
class PsychParityTest {

  static final Path CORPUS = Path.of("src/test/resources/pciconf/corpus");
  static final Path SCRIPT = Path.of("src/test/resources/pciconf/stock-reading.rb");

  /** How one-pci's reading of a file relates to the stock probe's. */
  record Expect(Kind kind, String ours, String why) {}

  enum Kind {
    /** Both accept with the same settings. */
    SAME,
    /** Psych refuses the file or the stock probe fails on what it read (host in ERROR); one-pci refuses it. */
    BOTH_REJECT,
    /** The stock probe works with the file; one-pci refuses it, on purpose. */
    ONLY_WE_REJECT,
    /** Both accept, with different settings, on purpose. */
    WE_READ_OTHERWISE
  }

  static Expect same() {
    return new Expect(Kind.SAME, null, null);
  }

  static Expect bothReject(String message) {
    return new Expect(Kind.BOTH_REJECT, message, null);
  }

  static Expect onlyWeReject(String why, String message) {
    return new Expect(Kind.ONLY_WE_REJECT, message, why);
  }

  static Expect weRead(String why, String settings) {
    return new Expect(Kind.WE_READ_OTHERWISE, settings, why);
  }

  static final String NOT_TEXT = " is read by YAML as ";
  static final Map<String, Expect> TABLE = new LinkedHashMap<>();

  static {
    TABLE.put("shipped.conf", same());
    TABLE.put("plain-quoted.conf", same());
    TABLE.put("double-quoted.conf", same());
    TABLE.put("plain-words.conf", same());
    TABLE.put("flow-list.conf", same());
    TABLE.put("flow-list-trailing-comma.conf", same());
    TABLE.put("comma-separated.conf", same());
    TABLE.put("block-list-0.conf", same());
    TABLE.put("block-list-2.conf", same());
    TABLE.put("block-list-4.conf", same());
    TABLE.put("block-list-comment-between.conf", same());
    TABLE.put("nested-list.conf", same());
    TABLE.put("comments-everywhere.conf", same());
    TABLE.put("duplicate-key.conf", same());
    TABLE.put("duplicate-key-slow.conf", same());
    TABLE.put("tab-after-colon.conf", same());
    TABLE.put("tabs-slow-path.conf", same());
    TABLE.put("empty-filter-value.conf", same());
    TABLE.put("filter-tilde.conf", same());
    TABLE.put("empty-list.conf", same());
    TABLE.put("short-address-string.conf", same());
    TABLE.put("short-address-plain-letters.conf", same());
    TABLE.put("vendor-string.conf", same());
    TABLE.put("bom.conf", same());
    TABLE.put("crlf.conf", same());
    TABLE.put("cr-only.conf", same());
    TABLE.put("anchor.conf", same());
    TABLE.put("two-documents.conf", same());
    TABLE.put("two-documents-garbage.conf", same());
    TABLE.put("document-start.conf", same());
    TABLE.put("str-tag.conf", same());
    TABLE.put("continuation.conf", same());
    TABLE.put("literal-block.conf", same());
    TABLE.put("escapes.conf", same());
    TABLE.put("single-quote-escape.conf", same());
    TABLE.put("unicode-comment.conf", same());
    TABLE.put("unknown-key.conf", same());
    TABLE.put("readiness-off.conf", same());
    TABLE.put("readiness-no.conf", same());
    TABLE.put("readiness-on.conf", same());

    TABLE.put("block-list-one-too-far-quoted.conf",
        bothReject("line 3, column 4: not valid YAML: expected <block end>, but found '<block sequence start>' (while parsing a block collection that starts on line 2)"));
    TABLE.put("block-list-one-too-few.conf",
        bothReject("line 3, column 2: not valid YAML: expected <block end>, but found '<block sequence start>' (while parsing a block mapping that starts on line 1)"));
    TABLE.put("tab-indent.conf",
        bothReject("line 2, column 1: not valid YAML: found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation) (while scanning for the next token)"));
    TABLE.put("tab-after-dash.conf",
        bothReject("line 2, column 4: not valid YAML: found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation) (while scanning for the next token)"));
    TABLE.put("unclosed-quote.conf",
        bothReject("line 2, column 1: not valid YAML: found unexpected end of stream (while scanning a quoted scalar that starts on line 1)"));
    TABLE.put("unclosed-flow.conf",
        bothReject("line 3, column 1: not valid YAML: expected ',' or ']', but got <stream end> (while parsing a flow sequence that starts on line 2)"));
    TABLE.put("mapping-value-in-value.conf", bothReject("line 1, column 14: not valid YAML: mapping values are not allowed here"));
    TABLE.put("control-char.conf", bothReject("line 1: not valid YAML: the character U+0001 is not allowed in YAML text"));
    TABLE.put("garbage-binary.conf", bothReject("line 2: byte 0xff is not UTF-8 text; save the file as UTF-8"));
    TABLE.put("alias.conf", bothReject("line 2: *gpus is an alias; the stock probe's YAML reader refuses aliases, write the value out"));
    TABLE.put("date-anywhere.conf", bothReject("line 2: 2024-01-01 is read by YAML as a date, which the stock probe's YAML reader refuses; quote it: '2024-01-01'"));
    String noSettings = "holds no settings; set at least  :filter: '10de:*'  (or '0:0' to report no device)";
    // issue 2: a file with only comments is an error for both (YAML gives nothing, the merge fails)
    TABLE.put("only-comments.conf", bothReject(noSettings));
    TABLE.put("empty.conf", bothReject(noSettings));
    TABLE.put("garbage-text.conf", bothReject("line 1: the top level must be a mapping such as  :filter: '10de:*'"));
    TABLE.put("garbage-list.conf", bothReject("line 1: the top level must be a mapping such as  :filter: '10de:*'"));
    TABLE.put("nested-map.conf", bothReject("line 1: :filter: must be text such as '10de:*', found a mapping"));
    TABLE.put("filter-zero-zero-plain.conf", bothReject("line 1: :filter: 0:0" + NOT_TEXT + "a number (in base 60), not as text; quote it: '0:0'"));
    TABLE.put("filter-octal.conf", bothReject("line 1: :filter: 0300" + NOT_TEXT + "a number, not as text; quote it: '0300'"));
    TABLE.put("filter-true.conf", bothReject("line 1: :filter: yes" + NOT_TEXT + "true or false, not as text; quote it: 'yes'"));
    TABLE.put("filter-symbol.conf", bothReject("line 1: :filter: :all" + NOT_TEXT + "a Ruby symbol, not as text; quote it: ':all'"));
    TABLE.put("empty-short-address.conf",
        bothReject("line 2: :short_address: has no value; write [] for none, or a list such as ['07:00.0'] (the stock probe fails on an empty value)"));
    TABLE.put("empty-nvidia-vendors.conf",
        bothReject("line 2: :nvidia_vendors: has no value; write [] for none, or a list such as ['10de'] (the stock probe fails on an empty value)"));
    TABLE.put("device-name-string.conf",
        bothReject("line 2: :device_name: must be a list such as ['H100'], not a single text (the stock probe fails on it)"));
    TABLE.put("invalid-regex.conf", bothReject("line 2: :device_name: 'H100[' is not a valid regular expression: Unclosed character class"));

    TABLE.put("filter-empty-string.conf", onlyWeReject(
        "issue 2: the stock probe splits '' into no filter at all and reports nothing, dropping every free device",
        "line 1: :filter: is empty; write '0:0' to report no device or '*:*' to report every device"));
    TABLE.put("invalid-filter.conf", onlyWeReject(
        "issue 2: a filter that is not lspci syntax is an error; the stock probe's lspci -d fails and it reports nothing",
        "line 1: :filter: filter 'nvidia': at least two fields must be given, as in '10de:*'"));
    TABLE.put("block-list-one-too-far-plain.conf", onlyWeReject(
        "YAML folds the second line into the first item: one filter '10de:* - 15b3:*', which is not lspci syntax (issue 2)",
        "line 2: :filter: filter '10de:* - 15b3:*': invalid device ID '* - 15b3': hexadecimal digits or '*' expected"));
    TABLE.put("short-address-plain.conf", onlyWeReject(
        "unquoted, 07:00.0 is a number to YAML; the stock probe then matches no device and drops them all",
        "line 2: :short_address: 07:00.0" + NOT_TEXT + "a number (in base 60), not as text; quote it: '07:00.0'"));
    TABLE.put("short-address-domain-0000.conf", onlyWeReject(
        "lspci prints no 0000 domain, so the stock probe matches no device with it and drops them all",
        "line 2: :short_address: '0000:07:00.0' is not written as lspci prints it (the stock probe compares the text); write '07:00.0'"));
    TABLE.put("vendor-number.conf", onlyWeReject(
        "unquoted, 1234 is a number to YAML; the stock probe then never treats vendor 1234 as NVIDIA",
        "line 2: :nvidia_vendors: 1234" + NOT_TEXT + "a number, not as text; quote it: '1234'"));
    TABLE.put("vendor-upper.conf", onlyWeReject(
        "lspci prints vendor ids in lower case, so the stock probe never matches '10DE'",
        "line 2: :nvidia_vendors: '10DE' is not a vendor id as lspci prints it, such as '10de'"));
    TABLE.put("merge-key.conf", onlyWeReject(
        "merge keys are refused rather than read: nobody writes them in a pci.conf, and Psych's rules for them differ between versions",
        "line 1: merge keys (<<) are not supported; write the keys out"));
    TABLE.put("both-spellings.conf", onlyWeReject(
        "the stock probe uses :filter and ignores filter; one-pci reads both spellings (OpenNebula contract), so two of them are ambiguous",
        "line 2: 'filter' is given twice (as ':filter' and 'filter'); keep one"));

    TABLE.put("readiness-quoted.conf", onlyWeReject(
        "pci.rb never reads :passthrough_readiness:; one-pci refuses the text 'false' rather than guess whether it means off",
        "line 2: :passthrough_readiness: must be true or false (unquoted), found 'false'"));
    TABLE.put("colonless-keys.conf", weRead(
        "OpenNebula contract: keys without the leading colon are accepted; the stock probe ignores them (its defaults apply)",
        "filter \"10de:*\"\nshort_address \"e1:00.0\"\nnvidia_vendors \"10de\""));
    TABLE.put("quoted-symbol-key.conf", weRead(
        "a quoted ':filter' is the text key \":filter\" to Psych, which the stock probe ignores; one-pci reads it as :filter",
        "filter \"10de:*\"\nnvidia_vendors \"10de\""));
  }

  static Map<String, String> stock;

  @BeforeAll
  static void runTheStockReading() throws Exception {
    List<String> command = new ArrayList<>(List.of("ruby", SCRIPT.toString()));
    for (String name : new TreeSet<>(corpusNames())) {
      command.add(CORPUS.resolve(name).toString());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    stock = new LinkedHashMap<>();
    String name = null;
    StringBuilder sb = new StringBuilder();
    for (String line : out.split("\n")) {
      if (line.startsWith("== ")) {
        if (name != null) {
          stock.put(name, sb.toString().strip());
        }
        name = line.substring(3);
        sb.setLength(0);
      } else {
        sb.append(line).append('\n');
      }
    }
    stock.put(name, sb.toString().strip());
  }

  static List<String> corpusNames() throws IOException {
    try (Stream<Path> s = Files.list(CORPUS)) {
      return s.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void everyCorpusFileHasADecisionAndEveryDecisionAFile() throws IOException {
    assertThat(corpusNames()).containsExactlyInAnyOrderElementsOf(TABLE.keySet());
  }

  @TestFactory
  Stream<DynamicTest> eachFileMeansToOnePciWhatItMeansToTheStockProbe() {
    return TABLE.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> check(e.getKey(), e.getValue())));
  }

  static void check(String name, Expect expect) throws Exception {
    Path file = CORPUS.resolve(name);
    String theirs = stock.get(name);
    assertThat(theirs).as("the stock reading of %s", name).isNotNull();
    boolean stockRejects = theirs.lines().anyMatch(l -> l.startsWith("rejected") || l.startsWith("crashes"));
    String ours;
    boolean weReject;
    try {
      ours = settings(PciConf.load(file));
      weReject = false;
    } catch (ConfigException e) {
      String prefix = "Invalid configuration " + file + ": ";
      assertThat(e.getMessage()).startsWith(prefix).doesNotContainPattern("java\\.|Exception");
      ours = e.getMessage().substring(prefix.length());
      weReject = true;
    }
    String report = "stock probe:\n" + theirs + "\none-pci:\n" + ours;
    switch (expect.kind()) {
      case SAME -> {
        assertThat(weReject).as(report).isFalse();
        assertThat(ours).as(report).isEqualTo(withoutConfigLine(theirs));
      }
      case BOTH_REJECT -> {
        assertThat(stockRejects).as(report).isTrue();
        assertThat(ours).as(report).isEqualTo(expect.ours());
      }
      case ONLY_WE_REJECT -> {
        assertThat(stockRejects).as("the stock probe accepts it: %s\n%s", expect.why(), report).isFalse();
        assertThat(ours).as(report).isEqualTo(expect.ours());
      }
      case WE_READ_OTHERWISE -> {
        assertThat(stockRejects).as(report).isFalse();
        assertThat(weReject).as(report).isFalse();
        assertThat(ours).as("%s\n%s", expect.why(), report).isEqualTo(expect.ours()).isNotEqualTo(withoutConfigLine(theirs));
      }
      default -> fail("unknown kind");
    }
    // The fast reader, when it reads a file, reads it as the full one does.
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    Map<String, ConfValue> fast = PlainConf.parse(text);
    if (fast != null) {
      assertThat(fast).as("fast reader of %s", name).isEqualTo(YamlConf.load(file, text));
    }
  }

  static String withoutConfigLine(String stockOutput) {
    return stockOutput.lines().filter(l -> !l.startsWith("config ")).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** One-pci's settings in the lines stock-reading.rb prints. */
  static String settings(PciConf c) {
    List<String> lines = new ArrayList<>();
    c.filters().forEach(f -> lines.add("filter " + quoted(f.text())));
    c.shortAddresses().forEach(a -> lines.add("short_address " + quoted(a.shortAddress())));
    c.deviceNames().forEach(p -> lines.add("device_name " + quoted(p.pattern())));
    c.nvidiaVendors().forEach(v -> lines.add("nvidia_vendors " + quoted(String.format("%04x", v))));
    if (!c.readiness()) {
      lines.add("passthrough_readiness false");
    }
    return String.join("\n", lines);
  }

  /** Ruby's inspect of a simple string. */
  static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
