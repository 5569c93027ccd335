package onepci.doctor;

import java.util.List;

/**
 * {@code {"checks":[{"name":...,"status":...,"subject":...,"message":...,"fix":...}]}} on one line,
 * without spaces between tokens, so that scripts can match it with grep as well as parse it.
 */
public final class JsonReport {

  private JsonReport() {}

  public static String render(List<Check> checks) {
    StringBuilder sb = new StringBuilder(128 + checks.size() * 200);
    sb.append("{\"checks\":[");
    for (int i = 0; i < checks.size(); i++) {
      Check c = checks.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append('{');
      field(sb, "name", c.name()).append(',');
      field(sb, "status", c.status().word()).append(',');
      field(sb, "subject", c.subject()).append(',');
      field(sb, "message", c.message()).append(',');
      field(sb, "fix", c.fix());
      sb.append('}');
    }
    return sb.append("]}\n").toString();
  }

  private static StringBuilder field(StringBuilder sb, String key, String value) {
    string(sb, key).append(':');
    return string(sb, value);
  }

  /** A JSON string (RFC 8259): quote, backslash and control characters escaped, the rest as is. */
  static StringBuilder string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }
}
