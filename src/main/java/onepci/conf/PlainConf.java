package onepci.conf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The shapes pci.conf files take, read without SnakeYAML (whose start-up is a large part of a
 * probe run): comments, blank lines and top-level {@code key: value} pairs whose value is empty,
 * a quoted or simple plain scalar, a flow list {@code ['a', 'b']} or a block list of {@code - item}
 * lines all at one indent. It answers what {@link YamlConf} answers for the same text (the values
 * Ruby's Psych gives, true and false included); anything else (anchors, nested maps, escapes, tabs, a
 * plain scalar Psych reads as a number, a list item indented differently from the first) gets null, and the
 * caller hands the text to {@link YamlConf}.
 */
final class PlainConf {

  private static final Pattern KEY = Pattern.compile(":?[A-Za-z_][A-Za-z0-9_]*");
  /** Plain scalars that mean themselves in YAML: no indicator first, no ': ' or ' #' inside. */
  private static final Pattern PLAIN = Pattern.compile("[0-9A-Za-z_.][0-9A-Za-z_.:*/+-]*");

  private PlainConf() {}

  /** The document's keys and values; null when not a plain shape. */
  static Map<String, ConfValue> parse(String text) {
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    if (!onlyPlainCharacters(text)) {
      return null;
    }
    String[] lines = text.split("\n", -1);
    Map<String, ConfValue> out = new LinkedHashMap<>();
    int i = 0;
    while (i < lines.length) {
      String line = stripCr(lines[i]);
      if (isBlankOrComment(line)) {
        i++;
        continue;
      }
      if (line.startsWith(" ") || line.startsWith("\t")) {
        return null;
      }
      int colon = keyEnd(line);
      if (colon < 0) {
        return null;
      }
      String key = line.substring(0, colon);
      if (rest(line, colon).indexOf('\t') >= 0) {
        return null; // a tab inside the value; tabs around it are separators, as for YAML
      }
      if (!KEY.matcher(key).matches()) {
        return null;
      }
      String rest = withoutComment(line.substring(colon + 1));
      if (rest == null) {
        return null;
      }
      int keyLine = ++i;
      Object value;
      if (rest.isEmpty()) {
        List<ConfValue> items = new ArrayList<>();
        int indent = -1;
        while (i < lines.length) {
          String l = stripCr(lines[i]);
          if (isBlankOrComment(l)) {
            i++;
            continue;
          }
          String t = l.stripLeading();
          int at = l.length() - t.length();
          if (at == 0) {
            break;
          }
          // Every item at the first one's indent; anything else is a continuation or an error.
          if ((indent >= 0 && at != indent) || !t.startsWith("- ") || l.indexOf('\t') >= 0) {
            return null;
          }
          indent = at;
          String item = withoutComment(t.substring(2));
          Object v = item == null || item.isEmpty() ? null : scalar(item);
          if (!(v instanceof String s)) {
            return null;
          }
          items.add(new ConfValue(s, i + 1));
          i++;
        }
        value = items.isEmpty() ? null : items;
      } else if (rest.startsWith("[")) {
        List<ConfValue> list = flowList(rest, keyLine);
        if (list == null) {
          return null;
        }
        value = list;
      } else {
        value = scalar(rest);
        if (value == Unsupported.VALUE) {
          return null;
        }
      }
      out.put(key, new ConfValue(value, keyLine)); // a repeated key: the last one wins, as in Psych
    }
    return out.isEmpty() ? null : out;
  }

  /** The marker of a value this class does not read. */
  private enum Unsupported { VALUE }

  /** The value after the key's colon, without the comment and the blanks around it. */
  private static String rest(String line, int colon) {
    String r = withoutComment(line.substring(colon + 1));
    return r == null ? "" : r;
  }

  /** The position of the {@code :} that ends a key (the first one followed by a space or the end). */
  private static int keyEnd(String line) {
    for (int k = 1; k < line.length(); k++) {
      if (line.charAt(k) == ':' && (k + 1 == line.length() || line.charAt(k + 1) == ' ' || line.charAt(k + 1) == '\t')) {
        return k;
      }
    }
    return -1;
  }

  /**
   * A scalar: null, the text of a quoted string, a plain word Psych reads as text, or one it reads
   * as true or false (a {@link PsychScalar.Other}); {@link Unsupported} else.
   */
  private static Object scalar(String s) {
    if (s.length() >= 2 && s.charAt(0) == '\'' && s.charAt(s.length() - 1) == '\'') {
      String body = s.substring(1, s.length() - 1);
      if (body.replace("''", "").indexOf('\'') >= 0) {
        return Unsupported.VALUE;
      }
      return body.replace("''", "'");
    }
    if (s.length() >= 2 && s.charAt(0) == '"' && s.charAt(s.length() - 1) == '"') {
      String body = s.substring(1, s.length() - 1);
      return body.indexOf('"') >= 0 || body.indexOf('\\') >= 0 ? Unsupported.VALUE : body;
    }
    if (s.equals("~")) {
      return null;
    }
    if (!PLAIN.matcher(s).matches() || s.endsWith(":")) {
      return Unsupported.VALUE;
    }
    Object v = PsychScalar.read(s);
    if (v instanceof PsychScalar.Other o && o.what().equals(PsychScalar.TRUE_OR_FALSE)) {
      return o;
    }
    return v == PsychScalar.NULL ? null : v instanceof String ? v : Unsupported.VALUE;
  }

  /** {@code [a, 'b', "c"]}: plain words or quoted strings, no nesting, no empty items. */
  private static List<ConfValue> flowList(String s, int line) {
    if (!s.endsWith("]")) {
      return null;
    }
    String body = s.substring(1, s.length() - 1).strip();
    List<ConfValue> out = new ArrayList<>();
    if (body.isEmpty()) {
      return out;
    }
    int k = 0;
    while (k <= body.length()) {
      int end = itemEnd(body, k);
      if (end < 0) {
        return null;
      }
      String item = body.substring(k, end).strip();
      Object v = item.isEmpty() ? Unsupported.VALUE : scalar(item);
      if (!(v instanceof String str) || item.startsWith("[") || item.startsWith("{")) {
        return null;
      }
      out.add(new ConfValue(str, line));
      k = end + 1;
      if (end == body.length()) {
        break;
      }
    }
    return out;
  }

  /** The comma or end that closes the item starting at {@code from}; -1 for an unclosed quote. */
  private static int itemEnd(String body, int from) {
    int k = from;
    while (k < body.length() && body.charAt(k) == ' ') {
      k++;
    }
    if (k < body.length() && (body.charAt(k) == '\'' || body.charAt(k) == '"')) {
      char q = body.charAt(k);
      int close = body.indexOf(q, k + 1);
      while (q == '\'' && close >= 0 && close + 1 < body.length() && body.charAt(close + 1) == '\'') {
        close = body.indexOf(q, close + 2);
      }
      if (close < 0) {
        return -1;
      }
      k = close + 1;
    }
    int comma = body.indexOf(',', k);
    return comma < 0 ? body.length() : comma;
  }

  /** The value with a trailing {@code  # comment} and spaces removed; null when a quote is open. */
  private static String withoutComment(String s) {
    boolean single = false;
    boolean dbl = false;
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c == '\'' && !dbl) {
        single = !single;
      } else if (c == '"' && !single) {
        dbl = !dbl;
      } else if (c == '#' && !single && !dbl && (k == 0 || s.charAt(k - 1) == ' ' || s.charAt(k - 1) == '\t')) {
        return s.substring(0, k).strip();
      }
    }
    return single || dbl ? null : s.strip();
  }

  /**
   * No character YAML reads as a line break other than {@code \n} and {@code \r\n} (a lone
   * {@code \r}, NEL, LS, PS), and none it refuses (control characters, U+FFFE, U+FFFF).
   */
  private static boolean onlyPlainCharacters(String text) {
    for (int k = 0; k < text.length(); k++) {
      char c = text.charAt(k);
      if (c < 0x20) {
        if (c == '\r' ? k + 1 == text.length() || text.charAt(k + 1) != '\n' : c != '\n' && c != '\t') {
          return false;
        }
      } else if ((c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c >= 0xfffe) {
        return false;
      }
    }
    return true;
  }

  private static boolean isBlankOrComment(String line) {
    String t = line.strip();
    return t.isEmpty() || t.startsWith("#");
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
