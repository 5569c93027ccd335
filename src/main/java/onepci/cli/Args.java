package onepci.cli;

import java.util.List;

/**
 * A small parser for {@code --name value}, {@code --name=value} and {@code --flag} options. The
 * words are never rewritten: {@code --name=value} is one word whose value only {@link #value}
 * takes, and an option that does not take it (a flag) is a usage error naming the option.
 */
final class Args {

  /** The words that ask for a command's usage instead of running it. */
  static final List<String> HELP = List.of("--help", "-h");

  static final String VERSION = "--version";

  private final String command;
  private final List<String> words;
  private int i;
  /** The option {@link #next} returned last, and the value given after its '=', until taken. */
  private String option;
  private String inline;

  private Args(String command, List<String> words) {
    this.command = command;
    this.words = List.copyOf(words);
  }

  static Args of(String command, List<String> args) {
    return new Args(command, args);
  }

  /**
   * Whether a word is left.
   *
   * @throws UsageException when the option before took no value but was given one
   */
  boolean hasNext() throws UsageException {
    refuseUnusedValue();
    return i < words.size();
  }

  /** The next word; of {@code --name=value}, the name ({@link #value} then gives the value). */
  String next() throws UsageException {
    refuseUnusedValue();
    String w = words.get(i++);
    int eq = w.indexOf('=');
    if (w.startsWith("--") && eq > 2) {
      option = w.substring(0, eq);
      inline = w.substring(eq + 1);
      return option;
    }
    option = w;
    inline = null;
    return w;
  }

  /** The value of {@code option}: what followed its '=', else the next word. */
  String value(String option) throws UsageException {
    if (inline != null) {
      String v = inline;
      inline = null;
      return v;
    }
    if (i >= words.size()) {
      throw new UsageException(command + ": " + option + " needs a value");
    }
    return words.get(i++);
  }

  private void refuseUnusedValue() throws UsageException {
    if (inline != null) {
      throw new UsageException(command + ": " + option + " takes no value (given " + option + "=" + inline + ")");
    }
  }

  static UsageException unknown(String command, String word, List<String> known) {
    if (word.startsWith("-")) {
      return new UsageException(command + ": unknown option " + word + " (known: " + String.join(", ", known) + ")");
    }
    return new UsageException(command + ": unexpected argument '" + word + "'");
  }

  /** Whether the words ask for help ({@code --help} or {@code -h} anywhere). */
  static boolean asksForHelp(List<String> args) {
    // a loop, not a stream with a method reference: every command line goes through here, and the
    // first lambda or method reference costs the probe milliseconds of invokedynamic bootstrap
    for (String a : args) {
      if (HELP.contains(a)) {
        return true;
      }
    }
    return false;
  }

  static boolean asksForVersion(List<String> args) {
    return args.contains(VERSION);
  }
}
