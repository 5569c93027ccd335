package onepci.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * The process's streams and environment, injected so that tests can run every command in-process.
 *
 * @param terminal whether {@code out} is an interactive terminal (colour and tables only then)
 */
public record Io(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {

  public Io(InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
    this(in, out, err, env, false);
  }
}
