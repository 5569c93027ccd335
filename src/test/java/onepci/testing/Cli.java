package onepci.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import onepci.cli.Io;
import onepci.cli.Main;

/** Runs {@code one-pci} in-process, as {@code main} would, and keeps what it printed. */
public final class Cli {

  private Cli() {}

  /** Exit status, standard output and standard error of one run. */
  public record Result(int status, String out, String err) {}

  public static Result run(String... args) {
    return run(new byte[0], Map.of(), args);
  }

  public static Result run(byte[] stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int status = new Main().run(List.of(args), new Io(new ByteArrayInputStream(stdin), o, e, env));
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
