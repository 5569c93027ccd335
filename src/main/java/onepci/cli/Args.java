package onepci.cli;

import java.util.ArrayList;
import java.util.List;

/** A small parser for {@code --name value}, {@code --name=value} and {@code --flag} options. */
final class Args {

  private final String command;
  private final List<String> rest;
  private int i;

  Args(String command, List<String> args) {
    this.command = command;
    this.rest = args;
  }

  boolean hasNext() {
    return i < rest.size();
  }

  /** The next word; options with an inline value ({@code --x=y}) are split. */
  String next() {
    String s = rest.get(i++);
    if (s.startsWith("--") && s.contains("=")) {
      int eq = s.indexOf('=');
      rest.set(--i, s.substring(eq + 1));
      return s.substring(0, eq);
    }
    return s;
  }

  String value(String option) throws UsageException {
    if (!hasNext()) {
      throw new UsageException(command + ": " + option + " needs a value");
    }
    return rest.get(i++);
  }

  static Args of(String command, List<String> args) {
    return new Args(command, new ArrayList<>(args));
  }

  static UsageException unknown(String command, String word, List<String> known) {
    if (word.startsWith("-")) {
      return new UsageException(command + ": unknown option " + word + " (known: " + String.join(", ", known) + ")");
    }
    return new UsageException(command + ": unexpected argument '" + word + "'");
  }
}
