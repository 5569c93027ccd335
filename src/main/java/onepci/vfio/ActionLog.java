package onepci.vfio;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import onepci.io.IoFailure;

/**
 * One line per action, to {@code /run/one-pci/vfio.log} ({@code <UTC time> <domain> <what>}) and
 * to stderr ({@code one-pci vfio: <domain>: <what>}), so an operator sees what was done to which
 * device. A log file that cannot be written costs a warning, never the action.
 */
public final class ActionLog {

  private final Path file;
  private final PrintStream err;
  private final Clock clock;
  private boolean fileBroken;

  public ActionLog(Path file, PrintStream err, Clock clock) {
    this.file = file;
    this.err = err;
    this.clock = clock;
  }

  public void action(String domain, String what) {
    err.println("one-pci vfio: " + domain + ": " + what);
    if (fileBroken) {
      return;
    }
    String line = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS) + " " + domain + " " + what + "\n";
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      fileBroken = true;
      err.println("one-pci vfio: warning: cannot append to " + file + " (" + IoFailure.reason(e) + "); actions are logged on stderr only");
    }
  }

  /** A line for stderr alone: refusals and failures, which change nothing. */
  public void say(String what) {
    err.println("one-pci vfio: " + what);
  }
}
