package onepci.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-side parser of OpenNebula templates following oned's grammar: {@code NAME = "value"} and
 * {@code NAME = [ K = "v", ... ]} attributes, {@code #} comments, double-quoted values in which
 * {@code \"} is the only escape, unquoted single-word values. It rejects what oned rejects: an
 * unterminated quote (as a value ending in a backslash makes), a line holding {@code ]]>}, a
 * missing {@code =} or {@code ]}.
 */
public final class OneTemplate {

  /** A parsed attribute: a single value, or a vector of pairs. */
  public record Attr(String name, String value, Map<String, String> vector) {
    public boolean isVector() {
      return vector != null;
    }
  }

  private final String text;
  private int i;

  private OneTemplate(String text) {
    this.text = text;
  }

  /** Parses a whole template; throws IllegalArgumentException with the offset on any error. */
  public static List<Attr> parse(String text) {
    for (String line : text.split("\n", -1)) {
      if (line.contains("]]>")) {
        throw new IllegalArgumentException("a line holds ]]>: " + line);
      }
    }
    OneTemplate p = new OneTemplate(text);
    List<Attr> out = new ArrayList<>();
    p.skipSpaceAndComments();
    while (p.i < text.length()) {
      out.add(p.attribute());
      p.skipSpaceAndComments();
    }
    return out;
  }

  /** The vectors of one name, each as an ordered map. */
  public static List<Map<String, String>> vectors(String text, String name) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Attr a : parse(text)) {
      if (a.name().equals(name)) {
        if (!a.isVector()) {
          throw new IllegalArgumentException(name + " is not a vector");
        }
        out.add(a.vector());
      }
    }
    return out;
  }

  private Attr attribute() {
    String name = name();
    skipSpace();
    expect('=');
    skipSpace();
    if (peek() == '[') {
      i++;
      Map<String, String> pairs = new LinkedHashMap<>();
      skipSpaceAndComments();
      while (peek() != ']') {
        String k = name();
        skipSpaceAndComments();
        expect('=');
        skipSpaceAndComments();
        String v = value();
        if (pairs.put(k, v) != null) {
          throw error("duplicate " + k + " in vector " + name);
        }
        skipSpaceAndComments();
        if (peek() == ',') {
          i++;
          skipSpaceAndComments();
        } else if (peek() != ']') {
          throw error("',' or ']' expected");
        }
      }
      i++;
      return new Attr(name, null, pairs);
    }
    return new Attr(name, value(), null);
  }

  private String name() {
    int s = i;
    while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) {
      i++;
    }
    if (s == i) {
      throw error("attribute name expected");
    }
    return text.substring(s, i);
  }

  private String value() {
    if (peek() == '"') {
      i++;
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (i >= text.length()) {
          throw error("unterminated quoted value");
        }
        char c = text.charAt(i++);
        if (c == '\\' && i < text.length() && text.charAt(i) == '"') {
          sb.append('"');
          i++;
        } else if (c == '"') {
          return sb.toString();
        } else {
          sb.append(c);
        }
      }
    }
    int s = i;
    while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && ",]#\"[".indexOf(text.charAt(i)) < 0) {
      i++;
    }
    if (s == i) {
      throw error("value expected");
    }
    return text.substring(s, i);
  }

  private char peek() {
    if (i >= text.length()) {
      throw error("unexpected end of template");
    }
    return text.charAt(i);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("'" + c + "' expected");
    }
    i++;
  }

  private void skipSpace() {
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
  }

  private void skipSpaceAndComments() {
    while (i < text.length()) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '#') {
        while (i < text.length() && text.charAt(i) != '\n') {
          i++;
        }
      } else {
        return;
      }
    }
  }

  private IllegalArgumentException error(String what) {
    int from = Math.max(0, i - 30);
    return new IllegalArgumentException(what + " at offset " + i + " near: " + text.substring(from, Math.min(text.length(), i + 10)));
  }
}
