package onepci.one;

/**
 * Makes a value safe inside double quotes for oned's template parser: {@code "} becomes
 * {@code \"} (the only escape it knows), a trailing backslash is dropped (it would escape the
 * closing quote), and {@code ]]>} is broken up (a line holding it aborts the parser).
 */
public final class TemplateEscaper {

  private TemplateEscaper() {}

  public static String escape(String value) {
    String v = value;
    int end = v.length();
    while (end > 0 && v.charAt(end - 1) == '\\') {
      end--;
    }
    if (end != v.length()) {
      v = v.substring(0, end);
    }
    if (v.indexOf('"') < 0 && v.indexOf("]]>") < 0) {
      return v;
    }
    StringBuilder sb = new StringBuilder(v.length() + 8);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"') {
        sb.append("\\\"");
      } else if (c == '>' && i >= 2 && v.charAt(i - 1) == ']' && v.charAt(i - 2) == ']') {
        sb.append(" >");
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
