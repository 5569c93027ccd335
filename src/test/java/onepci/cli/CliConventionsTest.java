package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import onepci.testing.OneTemplate;
import onepci.vfio.TestHost;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@code one-pci} command does with its command line, as a person meets it: help on
 * stdout with exit 0, usage errors on stderr with exit 64, {@code --name=value} the same as
 * {@code --name value}, a root that is not there an error naming it.
 */
class CliConventionsTest {

  @TempDir Path tmp;

  static final String TOP_USAGE =
      "usage: one-pci COMMAND [OPTIONS]\n"
          + "\n"
          + "  one-pci probe [--config FILE] [--filter SPEC] [--sysfs-root DIR] [--pci-ids FILE] [--hwdb FILE]\n"
          + "  one-pci vfio prepare|release [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR]"
          + " [--write-timeout SECONDS] [--lock-timeout SECONDS]\n"
          + "  one-pci vfio status [--sysfs-root DIR]\n"
          + "  one-pci doctor [--json] [--sysfs-root DIR] [--config FILE]\n"
          + "  one-pci template ADDRESS...|--board [--sysfs-root DIR] [--config FILE] [--vcpu N] [--memory MB] [--pin core|none]\n"
          + "\n"
          + "one-pci COMMAND --help describes a command and its options; one-pci --version prints the version.\n";

  static Stream<Arguments> helps() {
    List<String> vfio = List.of("--domain NAME", "--xml FILE|-", "ADDRESS...", "--dry-run", "--sysfs-root DIR", "--write-timeout SECONDS");
    String vfioUsage = " [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR] [--write-timeout SECONDS] [--lock-timeout SECONDS]";
    return Stream.of(
        Arguments.of(
            "probe", "usage: one-pci probe [--config FILE] [--filter SPEC] [--sysfs-root DIR] [--pci-ids FILE] [--hwdb FILE]",
            List.of("--config FILE", "--filter SPEC", "--sysfs-root DIR", "--pci-ids FILE")),
        Arguments.of(
            "doctor", "usage: one-pci doctor [--json] [--sysfs-root DIR] [--config FILE]", List.of("--json", "--sysfs-root DIR", "--config FILE")),
        Arguments.of(
            "template", "usage: one-pci template ADDRESS...|--board [--sysfs-root DIR] [--config FILE] [--vcpu N] [--memory MB] [--pin core|none]",
            List.of("--board", "--sysfs-root DIR", "--config FILE", "--vcpu N", "--memory MB", "--pin core|none")),
        Arguments.of("vfio prepare", "usage: one-pci vfio prepare" + vfioUsage, vfio),
        Arguments.of("vfio release", "usage: one-pci vfio release" + vfioUsage, vfio),
        Arguments.of("vfio status", "usage: one-pci vfio status [--sysfs-root DIR]", List.of("--sysfs-root DIR")));
  }

  @Nested
  class Help {

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help"})
    void theTopLevelHelpIsTheUsageOnStdout(String word) {
      Cli.Result r = Cli.run(word);

      assertThat(r.status()).isZero();
      assertThat(r.out()).isEqualTo(TOP_USAGE);
      assertThat(r.err()).isEmpty();
    }

    @Test
    void noArgumentsIsTheUsageOnStderrWithExit64() {
      Cli.Result r = Cli.run();

      assertThat(r.status()).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo(TOP_USAGE);
    }

    @Test
    void anUnknownTopLevelOptionIsAUsageError() {
      Cli.Result r = Cli.run("--verbose");

      assertThat(r.status()).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo("one-pci: unknown option --verbose\n" + TOP_USAGE);
    }

    /** Each command's help: its usage line first, then every option it takes, then the exit statuses. */
    @ParameterizedTest
    @MethodSource("onepci.cli.CliConventionsTest#helps")
    void everyCommandAndActionHasItsHelpOnStdout(String command, String usageLine, List<String> options) {
      for (String help : List.of("--help", "-h")) {
        List<String> words = new ArrayList<>(List.of(command.split(" ")));
        words.add(help);

        Cli.Result r = Cli.run(words.toArray(String[]::new));

        assertThat(r.status()).as(String.join(" ", words)).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines().findFirst()).hasValue(usageLine);
        for (String option : options) {
          assertThat(r.out()).as(command + " --help lists " + option).containsPattern("\n  " + Pattern.quote(option) + " +\\S");
        }
        assertThat(r.out()).containsPattern("(?s)\nExit status: 0 .*,\\s+64 for a\\s+wrong\\s+command\\s+line\\.\n$");
      }
    }

    @Test
    void helpWinsOverTheRestOfTheCommandLine() {
      // a template without its address would be a usage error; with --help it is the help
      Cli.Result r = Cli.run("template", "--vcpu", "4", "--help");

      assertThat(r.status()).isZero();
      assertThat(r.out()).startsWith("usage: one-pci template ADDRESS...|--board ");
      assertThat(r.err()).isEmpty();
    }

    @Test
    void vfioAloneListsItsActions() {
      Cli.Result r = Cli.run("vfio", "--help");

      assertThat(r.status()).isZero();
      assertThat(r.err()).isEmpty();
      assertThat(r.out())
          .startsWith(
              "usage: one-pci vfio prepare|release [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR]"
                  + " [--write-timeout SECONDS] [--lock-timeout SECONDS]\n"
                  + "       one-pci vfio status [--sysfs-root DIR]\n")
          .contains("\n  prepare  bind the devices to vfio-pci (one-pci vfio prepare --help)\n")
          .contains("\n  release  give them back (one-pci vfio release --help)\n")
          .contains("\n  status   list what is on vfio-pci (one-pci vfio status --help)\n");
    }
  }

  @Nested
  class Version {

    /** {@code one-pci 0.1.0-SNAPSHOT (8891a74)}: the pom's version, the commit of this checkout. */
    @ParameterizedTest
    @ValueSource(strings = {"--version", "probe --version", "vfio status --version"})
    void theVersionIsThePomsAndTheCommitTheJarWasBuiltFrom(String line) throws Exception {
      Cli.Result r = Cli.run(line.split(" "));

      assertThat(r.status()).isZero();
      assertThat(r.err()).isEmpty();
      assertThat(r.out()).isEqualTo("one-pci " + pomVersion() + " (" + checkoutCommit() + ")\n");
    }

    @Test
    void theBuildStepWritesTheCommitOfAGitCheckoutAndUnknownElsewhere() throws Exception {
      String script = commitScript();
      Path plain = Files.createDirectories(tmp.resolve("export"));
      assertThat(runScript(script, plain)).isEqualTo("onepci.commit=unknown\n");

      Path checkout = Files.createDirectories(tmp.resolve("checkout"));
      sh(checkout, "git init -q . && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one");
      String head = sh(checkout, "git rev-parse --short HEAD").strip();
      assertThat(head).matches("[0-9a-f]{7,}");
      assertThat(runScript(script, checkout)).isEqualTo("onepci.commit=" + head + "\n");
    }

    String pomVersion() throws IOException {
      Matcher m = Pattern.compile("<artifactId>one-pci</artifactId>\\s*<version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
      assertThat(m.find()).isTrue();
      return m.group(1);
    }

    /** What {@code git rev-parse --short HEAD} says in this checkout; "unknown" outside one. */
    String checkoutCommit() throws Exception {
      if (!Files.exists(Path.of(".git"))) {
        return "unknown";
      }
      return sh(Path.of("."), "git rev-parse --short HEAD").strip();
    }

    /** The shell line pom.xml's git-commit execution runs, as Maven passes it to sh -c. */
    String commitScript() throws IOException {
      String pom = Files.readString(Path.of("pom.xml"));
      Matcher m = Pattern.compile("<id>git-commit</id>.*?<argument>-c</argument>\\s*<argument>(.*?)</argument>", Pattern.DOTALL).matcher(pom);
      assertThat(m.find()).as("pom.xml's git-commit execution").isTrue();
      return m.group(1).replace("&amp;", "&").replace("&gt;", ">").replace("&lt;", "<");
    }

    String runScript(String script, Path dir) throws Exception {
      Path out = tmp.resolve("out-" + dir.getFileName());
      Process p = new ProcessBuilder("sh", "-c", script, "sh", out.toString()).directory(dir.toFile()).redirectErrorStream(true).start();
      String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(printed).isZero();
      return Files.readString(out.resolve("commit.properties"));
    }

    String sh(Path dir, String command) throws Exception {
      Process p = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isZero();
      return out;
    }
  }

  @Nested
  class Options {

    @Test
    void anOptionsValueMayFollowAnEqualsSignOrComeAsTheNextWord() {
      HealthyH100Host host = HealthyH100Host.create(tmp.resolve("host"));
      String root = host.sys().root().toString();

      Cli.Result spaced = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root", root, "--vcpu", "4", "--memory", "8192", "--pin", "none");
      Cli.Result joined = Cli.run("template", HealthyH100Host.GPU, "--sysfs-root=" + root, "--vcpu=4", "--memory=8192", "--pin=none");
      Cli.Result mixed = Cli.run("template", "--vcpu=4", HealthyH100Host.GPU, "--memory", "8192", "--pin=none", "--sysfs-root", root);

      assertThat(spaced.status()).as(spaced.err()).isZero();
      assertThat(TemplateValues.of(spaced.out())).containsEntry("VCPU", "4").containsEntry("MEMORY", "8192");
      assertThat(joined).isEqualTo(spaced);
      assertThat(mixed).isEqualTo(spaced);
    }

    @Test
    void anEqualsSignInAValueBelongsToTheValue() throws Exception {
      TestHost host = new TestHost(tmp.resolve("host"));
      String root = host.paths.root().toString();

      Cli.Result r = Cli.run("vfio", "prepare", "--dry-run", "--domain=one=7", "0000:07:00.0", "--sysfs-root=" + root);

      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).startsWith("echo vfio-pci > " + root + "/sys/bus/pci/devices/0000:07:00.0/driver_override\n");
    }

    @Test
    void aDryRunGivenWithEqualsIsTheSameAsSpaced() throws Exception {
      TestHost host = new TestHost(tmp.resolve("host"));
      String root = host.paths.root().toString();
      TreeMap<String, String> before = host.snapshot();

      Cli.Result spaced = Cli.run("vfio", "prepare", "--dry-run", "--domain", "one-7", "0000:01:00.0", "--sysfs-root", root);
      Cli.Result joined = Cli.run("vfio", "prepare", "--domain=one-7", "--dry-run", "0000:01:00.0", "--sysfs-root=" + root);

      assertThat(spaced.status()).as(spaced.err()).isZero();
      assertThat(spaced.out()).contains("echo 0000:01:00.0 > " + root + "/sys/bus/pci/drivers/nvidia/unbind\n");
      assertThat(joined).isEqualTo(spaced);
      assertThat(host.snapshot()).isEqualTo(before);
    }

    @Test
    void aFlagGivenAValueIsAUsageErrorNamingIt() throws Exception {
      TestHost host = new TestHost(tmp.resolve("host"));
      String root = host.paths.root().toString();
      TreeMap<String, String> before = host.snapshot();

      Cli.Result r = Cli.run("vfio", "prepare", "--dry-run=yes", "0000:01:00.0", "--sysfs-root", root);

      assertThat(r.status()).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err())
          .isEqualTo(
              "one-pci vfio: --dry-run takes no value (given --dry-run=yes)\n"
                  + "usage: one-pci vfio prepare|release [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR]"
                  + " [--write-timeout SECONDS] [--lock-timeout SECONDS]\n"
                  + "       one-pci vfio status [--sysfs-root DIR]\n");
      assertThat(host.snapshot()).isEqualTo(before);
    }

    @Test
    void doctorsJsonFlagTakesNoValueEither() {
      Cli.Result r = Cli.run("doctor", "--json=no");

      assertThat(r.status()).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err())
          .isEqualTo("one-pci doctor: --json takes no value (given --json=no)\nusage: one-pci doctor [--json] [--sysfs-root DIR] [--config FILE]\n");
    }

    @Test
    void anOptionAtTheEndWithoutItsValueIsAUsageError() {
      Cli.Result r = Cli.run("vfio", "status", "--sysfs-root");

      assertThat(r.status()).isEqualTo(64);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).startsWith("one-pci vfio: --sysfs-root needs a value\nusage: one-pci vfio prepare|release ");
    }
  }

  @Nested
  class MissingRoot {

    static final String WHAT = " (--sysfs-root DIR names a folder standing in for /, holding sys/bus/pci/devices)\n";

    /** Every command that reads a host, given a root that is not there: exit 1 naming it, nothing on stdout. */
    @ParameterizedTest
    @ValueSource(strings = {"probe", "doctor", "template 0000:e1:00.0", "vfio status", "vfio prepare 0000:e1:00.0", "vfio release --domain one-7"})
    void aRootThatIsNotThereIsAnErrorNamingIt(String command) {
      Path missing = tmp.resolve("nonexistent");
      String name = command.split(" ")[0];

      Cli.Result r = run(command, missing);

      assertThat(r.status()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo("one-pci " + name + ": " + missing + ": no such directory" + WHAT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"probe", "doctor", "template 0000:e1:00.0", "vfio status", "vfio prepare 0000:e1:00.0", "vfio release --domain one-7"})
    void aRootWithoutThePciDeviceListIsAnErrorNamingTheList(String command) throws IOException {
      Path root = Files.createDirectories(tmp.resolve("empty"));
      String name = command.split(" ")[0];

      Cli.Result r = run(command, root);

      assertThat(r.status()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo("one-pci " + name + ": " + root.resolve("sys/bus/pci/devices") + ": no such directory" + WHAT);
    }

    @Test
    void aFileGivenAsTheRootIsNotADirectory() throws IOException {
      Path file = Files.writeString(tmp.resolve("root.txt"), "x\n");

      Cli.Result r = run("vfio status", file);

      assertThat(r.status()).isEqualTo(1);
      assertThat(r.err()).isEqualTo("one-pci vfio: " + file + ": not a directory" + WHAT);
    }

    @Test
    void aRootWithTheListStillWorks() {
      FakeSysfs.create(tmp.resolve("host"));

      Cli.Result r = run("vfio status", tmp.resolve("host"));

      assertThat(r.status()).isZero();
      assertThat(r.out()).isEqualTo("no device is on vfio-pci or held by a domain\n");
    }

    Cli.Result run(String command, Path root) {
      List<String> words = new ArrayList<>(List.of(command.split(" ")));
      words.add("--sysfs-root");
      words.add(root.toString());
      return Cli.run(words.toArray(String[]::new));
    }
  }

  /** The single (non-vector) attributes of a template, parsed as oned parses it. */
  static final class TemplateValues {
    static Map<String, String> of(String template) {
      Map<String, String> out = new TreeMap<>();
      for (OneTemplate.Attr a : OneTemplate.parse(template)) {
        if (!a.isVector()) {
          out.put(a.name(), a.value());
        }
      }
      return out;
    }
  }
}
