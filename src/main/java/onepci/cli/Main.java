package onepci.cli;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.io.BufferedOutputStream;
import java.util.List;

/**
 * {@code one-pci COMMAND [OPTIONS]}: the entry point. Only {@link #main} exits the process; every
 * command takes its streams from an {@link Io} so that it runs the same in tests.
 */
public final class Main {

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  /** Wrong command line, as sysexits.h's EX_USAGE. */
  public static final int EXIT_USAGE = 64;

  private static final List<String> COMMANDS = List.of("probe", "vfio", "doctor", "template");

  /**
   * The command of that name, made when it is asked for: the probe runs every minute on every
   * host, and making the others (their lambdas, clocks) cost it milliseconds of start-up.
   */
  private static Command command(String name) {
    switch (name) {
      case "probe":
        return new ProbeCommand();
      case "vfio":
        return new VfioCommand();
      case "doctor":
        return new DoctorCommand();
      case "template":
        return new TemplateCommand();
      default:
        return null;
    }
  }

  public static void main(String[] args) {
    // Output is UTF-8 whatever the locale: OpenNebula runs probes with LANG=C.
    PrintStream out =
        new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int status = new Main().run(List.of(args), new Io(System.in, out, err, System.getenv(), System.console() != null));
    out.flush();
    err.flush();
    System.exit(status);
  }

  public int run(List<String> args, Io io) {
    if (args.isEmpty()) {
      usage(io.err());
      return EXIT_USAGE;
    }
    String first = args.get(0);
    if (Args.HELP.contains(first) || first.equals("help")) {
      usage(io.out());
      return EXIT_OK;
    }
    if (first.equals(Args.VERSION)) {
      io.out().println(Version.line());
      return EXIT_OK;
    }
    Command c = command(first);
    if (c == null) {
      io.err().println("one-pci: unknown " + (first.startsWith("-") ? "option " + first : "command '" + first + "'"));
      usage(io.err());
      return EXIT_USAGE;
    }
    List<String> rest = args.subList(1, args.size());
    if (Args.asksForHelp(rest)) {
      io.out().print(c.help(rest));
      return EXIT_OK;
    }
    if (Args.asksForVersion(rest)) {
      io.out().println(Version.line());
      return EXIT_OK;
    }
    try {
      return c.run(rest, io);
    } catch (UsageException e) {
      io.err().println("one-pci " + e.getMessage());
      String prefix = "usage: ";
      for (String line : c.synopsis()) {
        io.err().println(prefix + "one-pci " + line);
        prefix = "       ";
      }
      return EXIT_USAGE;
    } finally {
      io.out().flush();
    }
  }

  private void usage(PrintStream s) {
    s.println("usage: one-pci COMMAND [OPTIONS]");
    s.println();
    for (String name : COMMANDS) {
      for (String line : command(name).synopsis()) {
        s.println("  one-pci " + line);
      }
    }
    s.println();
    s.println("one-pci COMMAND --help describes a command and its options; one-pci --version prints the version.");
  }
}
