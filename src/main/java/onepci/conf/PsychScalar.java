package onepci.conf;

import java.util.regex.Pattern;

/**
 * What Ruby's Psych 4 ({@code YAML.load_file}, the stock probe's reader) makes of a plain (unquoted)
 * scalar: text, nothing, or something else (a number, true or false, a symbol, a date). A port of
 * the branches of {@code Psych::ScalarScanner#tokenize}, in its order; quoted scalars are always
 * text and never come here. {@code PsychParityTest} checks it against the real Psych.
 */
final class PsychScalar {

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

  private static final Pattern STRING_START =
      Pattern.compile("[^\\d.:-]?[\\p{IsAlphabetic}_\\s!@#$%^&*(){}<>|/\\\\~;=]+");
  private static final Pattern TIME =
      Pattern.compile("-?\\d{4}-\\d{1,2}-\\d{1,2}(?:[Tt]|\\s+)\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d*)?(?:\\s*(?:Z|[-+]\\d{1,2}:?(?:\\d\\d)?))?");
  private static final Pattern DATE = Pattern.compile("\\d{4}-(?:1[012]|0\\d|\\d)-(?:[12]\\d|3[01]|0\\d|\\d)");
  private static final Pattern INF_NAN = Pattern.compile("(?i)[-+]?\\.inf|\\.nan");
  private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}(\\.[0-9_]*)?");
  private static final Pattern FLOAT = Pattern.compile("[-+]?([0-9][0-9_,]*)?\\.[0-9]*([eE][-+][0-9]+)?");
  private static final Pattern LONE_DOT = Pattern.compile("[-+]?\\.");
  private static final Pattern INTEGER =
      Pattern.compile("[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+");

  private PsychScalar() {}

  /** The text itself, {@link #NULL}, or an {@link Other}. */
  static Object read(String s) {
    if (s.isEmpty()) {
      return NULL;
    }
    if (STRING_START.matcher(s).lookingAt() || s.indexOf('\n') >= 0) {
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
        return new Other(s, "true or false");
      }
      return s;
    }
    if (TIME.matcher(s).matches()) {
      return new Other(s, "a time", true);
    }
    if (DATE.matcher(s).matches()) {
      return new Other(s, "a date", true);
    }
    if (INF_NAN.matcher(s).matches()) {
      return new Other(s, "a number");
    }
    if (s.length() > 1 && s.charAt(0) == ':') {
      return new Other(s, "a Ruby symbol");
    }
    if (SEXAGESIMAL.matcher(s).matches()) {
      return new Other(s, "a number (in base 60)");
    }
    if (FLOAT.matcher(s).matches()) {
      if (LONE_DOT.matcher(s).matches()) {
        return s;
      }
      String mantissa = s.split("[eE]", 2)[0];
      return new Other(s, "a number", !mantissa.matches(".*[0-9].*"));
    }
    if (INTEGER.matcher(s).matches()) {
      return new Other(s, "a number", s.replaceAll("[,_]", "").matches("[-+]?0[bx]"));
    }
    return s;
  }
}
