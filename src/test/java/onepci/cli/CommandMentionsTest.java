package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import onepci.testing.Cli;
import org.junit.jupiter.api.Test;

/**
 * Every command a message tells a person to run exists with those options: each {@code one-pci X
 * --flag ...} written in the code and the shell scripts is parsed by the real command line parser,
 * and each {@code install.sh --flag} names an option install.sh takes.
 */
class CommandMentionsTest {

  static final List<String> SHELL = List.of("install.sh", "driver-hooks/qemu", "host/one-pci", "frontend/one-pci", "probe/pci-probe", "host/java.sh",
      "host/99-one-pci-vfio.rules", "host/one-pci-vfio.conf");
  static final Pattern ONE_PCI = Pattern.compile("one-pci (?:probe|doctor|template|vfio)\\b[^\"\\n;)`>#]*(\"?)");
  static final Pattern INSTALL = Pattern.compile("install\\.sh((?: --[a-z-]+)+)");
  /** The options install.sh's parse_args takes: its case labels. */
  static final Pattern INSTALL_OPTION = Pattern.compile("(?m)^\\s+(--[a-z-]+)(?:\\|-h)?\\)");

  static Map<String, String> sources() throws IOException {
    Map<String, String> texts = new LinkedHashMap<>();
    try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        texts.put(p.toString(), Files.readString(p));
      }
    }
    for (String f : SHELL) {
      texts.put(f, Files.readString(Path.of(f)));
    }
    return texts;
  }

  /** The words of each {@code one-pci} mention with an option, placeholders filled in. */
  static Map<String, List<String>> oneMentions() throws IOException {
    Map<String, List<String>> found = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sources().entrySet()) {
      Matcher m = ONE_PCI.matcher(e.getValue());
      while (m.find()) {
        String text = m.group().replaceAll("\"$", "").strip();
        if (!text.contains(" --") || text.contains("[")) {
          continue; // prose ("one-pci probe: ..."), or a usage line of the parser's own help
        }
        List<String> words = new ArrayList<>();
        for (String w : text.substring("one-pci ".length()).split(" +")) {
          w = w.replaceAll("^'(.*)'$", "$1");
          words.add(w.startsWith("$") ? "one-x" : w);
        }
        if (!m.group(1).isEmpty() && words.get(words.size() - 1).startsWith("--")) {
          words.add("one-x"); // the literal ends and the code adds the value: "--domain " + domain
        }
        found.put(e.getKey() + ": " + text, words);
      }
    }
    return found;
  }

  @Test
  void everyOnePciCommandAMessageNamesParsesWithItsOptions() throws IOException {
    Map<String, List<String>> mentions = oneMentions();
    assertThat(mentions.keySet())
        .anySatisfy(k -> assertThat(k).contains("one-pci vfio release --domain"))
        .anySatisfy(k -> assertThat(k).contains("one-pci probe --filter '*:*'"));
    for (Map.Entry<String, List<String>> e : mentions.entrySet()) {
      List<String> args = new ArrayList<>(e.getValue());
      if (!args.contains("--sysfs-root") && !args.contains("--help")) {
        // a root that is not there stops every command right after its options are parsed
        args.addAll(List.of("--sysfs-root", "/nonexistent-one-pci-check"));
      }
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertThat(r.status()).as(e.getKey() + " -> " + args + ": " + r.err()).isNotEqualTo(64);
      assertThat(r.err()).as(e.getKey()).doesNotContain("unknown option").doesNotContain("needs a value");
    }
  }

  @Test
  void everyInstallShOptionAMessageNamesIsOneItTakes() throws IOException {
    Set<String> takes = new TreeSet<>();
    Matcher o = INSTALL_OPTION.matcher(Files.readString(Path.of("install.sh")));
    while (o.find()) {
      takes.add(o.group(1));
    }
    assertThat(takes).contains("--host", "--uninstall", "--remotes", "--bin", "--force");
    Set<String> named = new TreeSet<>();
    for (Map.Entry<String, String> e : sources().entrySet()) {
      Matcher m = INSTALL.matcher(e.getValue());
      while (m.find()) {
        for (String flag : m.group(1).strip().split(" ")) {
          named.add(flag);
          assertThat(takes).as(e.getKey() + ": " + m.group()).contains(flag);
        }
      }
    }
    assertThat(named).contains("--host", "--uninstall");
  }
}
