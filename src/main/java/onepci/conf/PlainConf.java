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
 * lines. It answers what SnakeYAML, configured as {@link PciConf} configures it, answers for the
 * same text; anything else (anchors, nested maps, escapes, duplicate keys, tabs) gets null, and
 * the caller hands the text to SnakeYAML.
 */
final class PlainConf {

  private static final Pattern KEY = Pattern.compile(":?[A-Za-z_][A-Za-z0-9_]*");
  /** Plain scalars that mean themselves in YAML: no indicator first, no ': ' or ' #' inside. */
  private static final Pattern PLAIN = Pattern.compile("[0-9A-Za-z_.][0-9A-Za-z_.:*/+-]*");

  private PlainConf() {}

  /** The document as a map of keys to String, List of String or null; null when not a plain shape. */
  static Map<Object, Object> parse(String text) {
    String[] lines = text.split("\n", -1);
    Map<Object, Object> out = new LinkedHashMap<>();
    int i = 0;
    while (i < lines.length) {
      String line = stripCr(lines[i]);
      if (isBlankOrComment(line)) {
        i++;
        continue;
      }
      if (line.indexOf('\t') >= 0 || line.startsWith(" ")) {
        return null;
      }
      int colon = keyEnd(line);
      if (colon < 0) {
        return null;
      }
      String key = line.substring(0, colon);
      if (!KEY.matcher(key).matches() || out.containsKey(key)) {
        return null;
      }
      String rest = withoutComment(line.substring(colon + 1));
      if (rest == null) {
        return null;
      }
      i++;
      if (rest.isEmpty()) {
        List<String> items = new ArrayList<>();
        while (i < lines.length) {
          String l = stripCr(lines[i]);
          if (isBlankOrComment(l)) {
            i++;
            continue;
          }
          String t = l.stripLeading();
          if (t.length() == l.length() || !t.startsWith("- ") || l.indexOf('\t') >= 0) {
            break;
          }
          String item = withoutComment(t.substring(2));
          Object v = item == null || item.isEmpty() ? null : scalar(item);
          if (!(v instanceof String s)) {
            return null;
          }
          items.add(s);
          i++;
        }
        out.put(key, items.isEmpty() ? null : items);
      } else if (rest.startsWith("[")) {
        List<String> list = flowList(rest);
        if (list == null) {
          return null;
        }
        out.put(key, list);
      } else {
        Object v = scalar(rest);
        if (v == Unsupported.VALUE) {
          return null;
        }
        out.put(key, v);
      }
    }
    return out.isEmpty() ? null : out;
  }

  /** The marker of a value this class does not read. */
  private enum Unsupported { VALUE }

  /** The position of the {@code :} that ends a key (the first one followed by a space or the end). */
  private static int keyEnd(String line) {
    for (int k = 1; k < line.length(); k++) {
      if (line.charAt(k) == ':' && (k + 1 == line.length() || line.charAt(k + 1) == ' ')) {
        return k;
      }
    }
    return -1;
  }

  /** A scalar: null, the text of a quoted string, or a plain word; {@link Unsupported} else. */
  private static Object scalar(String s) {
    if (s.equals("~") || s.equals("null") || s.equals("Null") || s.equals("NULL")) {
      return null;
    }
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
    return PLAIN.matcher(s).matches() && !s.contains(": ") ? s : Unsupported.VALUE;
  }

  /** {@code [a, 'b', "c"]}: plain words or quoted strings, no nesting, no empty items. */
  private static List<String> flowList(String s) {
    if (!s.endsWith("]")) {
      return null;
    }
    String body = s.substring(1, s.length() - 1).strip();
    List<String> out = new ArrayList<>();
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
      out.add(str);
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
      } else if (c == '#' && !single && !dbl && (k == 0 || s.charAt(k - 1) == ' ')) {
        return s.substring(0, k).strip();
      }
    }
    return single || dbl ? null : s.strip();
  }

  private static boolean isBlankOrComment(String line) {
    String t = line.strip();
    return t.isEmpty() || t.startsWith("#");
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
