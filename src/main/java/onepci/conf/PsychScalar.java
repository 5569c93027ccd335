package onepci.conf;

import java.util.regex.Pattern;

/**
 * What Ruby's Psych 4 ({@code YAML.load_file}, the stock probe's reader) makes of a plain (unquoted)
 * scalar: text, nothing, or something else (a number, true or false, a symbol, a date). A port of
 * the branches of {@code Psych::ScalarScanner#tokenize}, in its order; quoted scalars are always
 * text and never come here. {@code PsychParityTest} checks it against the real Psych.
 */
final class PsychScalar {

  /** What {@link Other#what} says of Psych's booleans ({@code true}, {@code no}, {@code off}, ...). */
  static final String TRUE_OR_FALSE = "true or false";

  /** Psych's nil: an empty plain scalar, {@code ~}, {@code null} in any case. */
  static final Object NULL = new Object();

  /**
   * Not text: what YAML reads it as, in words ("a number", "true or false", ...); {@code refused}
   * when Psych refuses the whole file for it (a date or time needs a class {@code YAML.load_file}
   * does not allow; a number Ruby cannot convert).
   */
  record Other(String text, String what, boolean refused) {
    Other(String text, String what) {
      this(text, what, false);
    }
  }

  /** Psych's string characters, {@code [[:alpha:]_\s!@#$%^&*(){}<>|/\\~;=]}, but for letters and blanks. */
  private static final String STRING_MARKS = "_!@#$%^&*(){}<>|/\\~;=";
  /** Of those, the ones no number, date or symbol of Psych's holds (all but {@code _}). */
  private static final String NEVER_IN_NUMBERS = "!@#$%^&*(){}<>|/\\~;=";

  /** The patterns of Psych's numbers, dates and times: compiled only for a text that may be one. */
  private static final class Numeric {
    static final Pattern TIME =
        Pattern.compile("-?\\d{4}-\\d{1,2}-\\d{1,2}(?:[Tt]|\\s+)\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d*)?(?:\\s*(?:Z|[-+]\\d{1,2}:?(?:\\d\\d)?))?");
    static final Pattern DATE = Pattern.compile("\\d{4}-(?:1[012]|0\\d|\\d)-(?:[12]\\d|3[01]|0\\d|\\d)");
    static final Pattern INF_NAN = Pattern.compile("(?i)[-+]?\\.inf|\\.nan");
    static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}(\\.[0-9_]*)?");
    static final Pattern FLOAT = Pattern.compile("[-+]?([0-9][0-9_,]*)?\\.[0-9]*([eE][-+][0-9]+)?");
    static final Pattern LONE_DOT = Pattern.compile("[-+]?\\.");
    static final Pattern INTEGER =
        Pattern.compile("[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+");
  }

  private PsychScalar() {}

  /**
   * Psych's {@code string.match?(/^[^\\d.:-]?[[:alpha:]_\\s!@#$%\\^&*(){}<>|\/\\\\~;=]+/)}, without a
   * regular expression: one optional character that is not a digit, dot, colon or dash, then one of
   * the string characters.
   */
  private static boolean stringStart(String s) {
    if (isStringChar(s.charAt(0))) {
      return true;
    }
    char c = s.charAt(0);
    return s.length() > 1 && !(c >= '0' && c <= '9') && c != '.' && c != ':' && c != '-' && isStringChar(s.charAt(1));
  }

  private static boolean isStringChar(char c) {
    return Character.isAlphabetic(c) || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b
        || STRING_MARKS.indexOf(c) >= 0;
  }

  /**
   * False when no pattern of {@link Numeric} can match, which spares compiling them for the usual
   * {@code 10de} or {@code 10de:*}: a character none of them has, or a letter where none has one
   * (hex digits only after {@code 0x}, {@code b} after {@code 0}, {@code e} and inf/nan with a dot,
   * {@code T} and {@code Z} in a time, which has a colon).
   */
  private static boolean mayBeNumeric(String s) {
    String body = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    boolean hex = body.startsWith("0x");
    boolean binary = body.startsWith("0b");
    boolean dot = s.indexOf('.') >= 0;
    boolean colon = s.indexOf(':') >= 0;
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (NEVER_IN_NUMBERS.indexOf(c) >= 0) {
        return false;
      }
      if (!Character.isLetter(c)) {
        continue;
      }
      boolean possible =
          (hex && (c == 'x' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
              || (binary && c == 'b')
              || (dot && "eEiInNfFaA".indexOf(c) >= 0)
              || (colon && "TtZ".indexOf(c) >= 0);
      if (!possible) {
        return false;
      }
    }
    return true;
  }

  /** The text itself, {@link #NULL}, or an {@link Other}. */
  static Object read(String s) {
    if (s.isEmpty()) {
      return NULL;
    }
    if (stringStart(s) || s.indexOf('\n') >= 0) {
      if (s.length() > 5) {
        return s;
      }
      char c = Character.toLowerCase(s.charAt(0));
      if ("ytonf~".indexOf(c) < 0) {
        return s;
      }
      if (s.equals("~") || s.equalsIgnoreCase("null")) {
        return NULL;
      }
      if (s.matches("(?i)yes|true|on|no|false|off")) {
        return new Other(s, TRUE_OR_FALSE);
      }
      return s;
    }
    if (s.length() > 1 && s.charAt(0) == ':') {
      return new Other(s, "a Ruby symbol");
    }
    if (!mayBeNumeric(s)) {
      return s; // none of the patterns below can match
    }
    if (Numeric.TIME.matcher(s).matches()) {
      return new Other(s, "a time", true);
    }
    if (Numeric.DATE.matcher(s).matches()) {
      return new Other(s, "a date", true);
    }
    if (Numeric.INF_NAN.matcher(s).matches()) {
      return new Other(s, "a number");
    }
    if (Numeric.SEXAGESIMAL.matcher(s).matches()) {
      return new Other(s, "a number (in base 60)");
    }
    if (Numeric.FLOAT.matcher(s).matches()) {
      if (Numeric.LONE_DOT.matcher(s).matches()) {
        return s;
      }
      String mantissa = s.split("[eE]", 2)[0];
      return new Other(s, "a number", !mantissa.matches(".*[0-9].*"));
    }
    if (Numeric.INTEGER.matcher(s).matches()) {
      return new Other(s, "a number", s.replaceAll("[,_]", "").matches("[-+]?0[bx]"));
    }
    return s;
  }
}
