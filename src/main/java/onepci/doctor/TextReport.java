package onepci.doctor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The report for a person: the host in one line, then a table of status, check, subject and
 * message, each warning or failure followed by the command that fixes it (a fix already printed for
 * an earlier check is not printed again: the line says which check has it), then a count. Colour
 * only when the caller says so (a terminal, and no {@code NO_COLOR}).
 */
public final class TextReport {

  private static final String RESET = "\033[0m";

  private TextReport() {}

  /** The report with the host's summary on its first line (and an HGX board's on the second). */
  public static String render(HostSummary summary, List<Check> checks, boolean colour) {
    return "host: " + summary.text() + "\n" + summary.board().map(b -> "board: " + b + "\n").orElse("") + "\n" + render(checks, colour);
  }

  /** The table and the count, without the summary. */
  public static String render(List<Check> checks, boolean colour) {
    int nameWidth = "CHECK".length();
    int subjectWidth = "SUBJECT".length();
    for (Check c : checks) {
      nameWidth = Math.max(nameWidth, c.name().length());
      subjectWidth = Math.max(subjectWidth, c.subject().length());
    }
    String indent = " ".repeat(6 + 2 + nameWidth + 2 + subjectWidth + 2);
    StringBuilder sb = new StringBuilder();
    sb.append(row("STATUS", "CHECK", nameWidth, "SUBJECT", subjectWidth, "MESSAGE")).append('\n');
    int[] counts = new int[Status.values().length];
    Map<String, Check> firstWithFix = new HashMap<>();
    for (Check c : checks) {
      counts[c.status().ordinal()]++;
      String word = pad(c.status().word(), 6);
      String status = colour ? colourOf(c.status()) + word + RESET : word;
      sb.append(row(status, c.name(), nameWidth, c.subject(), subjectWidth, oneLine(c.message()))).append('\n');
      if (c.status() != Status.PASS) {
        Check first = firstWithFix.putIfAbsent(c.fix(), c);
        String fix = first == null ? oneLine(c.fix()) : "the same as for " + first.name() + " on " + first.subject() + " above";
        sb.append(indent).append("fix: ").append(fix).append('\n');
      }
    }
    sb.append('\n')
        .append(checks.size()).append(checks.size() == 1 ? " check: " : " checks: ")
        .append(counts[Status.PASS.ordinal()]).append(" passed, ")
        .append(counts[Status.WARN.ordinal()]).append(counts[Status.WARN.ordinal()] == 1 ? " warning, " : " warnings, ")
        .append(counts[Status.FAIL.ordinal()]).append(counts[Status.FAIL.ordinal()] == 1 ? " failure" : " failures")
        .append('\n');
    return sb.toString();
  }

  private static String row(String status, String name, int nameWidth, String subject, int subjectWidth, String message) {
    return status + "  " + pad(name, nameWidth) + "  " + pad(subject, subjectWidth) + "  " + message;
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ');
  }

  private static String colourOf(Status s) {
    return switch (s) {
      case PASS -> "\033[32m";
      case WARN -> "\033[33m";
      case FAIL -> "\033[1;31m";
    };
  }
}
