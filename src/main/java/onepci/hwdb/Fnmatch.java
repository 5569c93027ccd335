package onepci.hwdb;

import java.nio.charset.StandardCharsets;

/**
 * POSIX {@code fnmatch(pattern, string, 0)} on bytes, as sd-hwdb calls it: {@code *} and
 * {@code ?} match any byte ({@code /} and a leading {@code .} included, no flags), {@code [...]}
 * a set ({@code !} or {@code ^} negates; ranges by byte value as in the C locale; the classes
 * {@code [:alpha:]} and the like in ASCII), a backslash quotes the next byte, and a {@code [}
 * without its closing {@code ]} is an ordinary byte.
 */
final class Fnmatch {

  private Fnmatch() {}

  /** Whether {@code pattern[0, patternLength)} matches all of {@code string[from, end)}. */
  static boolean matches(byte[] pattern, int patternLength, byte[] string, int from, int end) {
    int p = 0;
    int s = from;
    int starP = -1;
    int starS = -1;
    while (s < end) {
      if (p < patternLength) {
        int c = pattern[p] & 0xff;
        if (c == '*') {
          starP = ++p;
          starS = s;
          continue;
        }
        if (c == '?') {
          p++;
          s++;
          continue;
        }
        if (c == '[') {
          int close = setEnd(pattern, p, patternLength);
          if (close > 0) {
            if (inSet(pattern, p + 1, close, string[s] & 0xff)) {
              p = close + 1;
              s++;
              continue;
            }
          } else if (c == (string[s] & 0xff)) {
            p++;
            s++;
            continue;
          }
        } else if (c == '\\') {
          if (p + 1 < patternLength && (pattern[p + 1] & 0xff) == (string[s] & 0xff)) {
            p += 2;
            s++;
            continue;
          }
        } else if (c == (string[s] & 0xff)) {
          p++;
          s++;
          continue;
        }
      }
      if (starP < 0) {
        return false;
      }
      p = starP;
      s = ++starS;
    }
    while (p < patternLength && pattern[p] == '*') {
      p++;
    }
    return p == patternLength;
  }

  /** The index of the {@code ]} closing the set opened at {@code open}, or -1 without one. */
  private static int setEnd(byte[] pattern, int open, int length) {
    int i = open + 1;
    if (i < length && (pattern[i] == '!' || pattern[i] == '^')) {
      i++;
    }
    if (i < length && pattern[i] == ']') {
      i++; // a ']' first in the set is one of its members
    }
    while (i < length) {
      byte c = pattern[i];
      if (c == ']') {
        return i;
      }
      if (c == '[' && i + 1 < length && pattern[i + 1] == ':') {
        int k = className(pattern, i, length);
        if (k > 0) {
          i = k + 1;
          continue;
        }
      }
      if (c == '\\' && i + 1 < length) {
        i++;
      }
      i++;
    }
    return -1;
  }

  /** For {@code [:name:]} at {@code i}: the index of its closing {@code ]}, else -1. */
  private static int className(byte[] pattern, int i, int length) {
    for (int k = i + 2; k + 1 < length; k++) {
      if (pattern[k] == ':' && pattern[k + 1] == ']') {
        return k + 1;
      }
      if (!Character.isLetter(pattern[k])) {
        return -1;
      }
    }
    return -1;
  }

  private static boolean inSet(byte[] pattern, int from, int close, int b) {
    int i = from;
    boolean negate = pattern[i] == '!' || pattern[i] == '^';
    if (negate) {
      i++;
    }
    boolean found = false;
    while (i < close) {
      int lo;
      if (pattern[i] == '[' && i + 1 < close && pattern[i + 1] == ':') {
        int k = className(pattern, i, close + 1);
        if (k > 0) {
          found |= inClass(new String(pattern, i + 2, k - 1 - (i + 2), StandardCharsets.US_ASCII), b);
          i = k + 1;
          continue;
        }
      }
      if (pattern[i] == '\\' && i + 1 < close) {
        i++;
      }
      lo = pattern[i] & 0xff;
      i++;
      if (i + 1 < close && pattern[i] == '-') {
        int j = i + 1;
        if (pattern[j] == '\\' && j + 1 < close) {
          j++;
        }
        int hi = pattern[j] & 0xff;
        found |= lo <= b && b <= hi;
        i = j + 1;
      } else {
        found |= lo == b;
      }
    }
    return found != negate;
  }

  private static boolean inClass(String name, int b) {
    return switch (name) {
      case "alnum" -> isAlpha(b) || isDigit(b);
      case "alpha" -> isAlpha(b);
      case "blank" -> b == ' ' || b == '\t';
      case "cntrl" -> b < 0x20 || b == 0x7f;
      case "digit" -> isDigit(b);
      case "graph" -> b > 0x20 && b < 0x7f;
      case "lower" -> b >= 'a' && b <= 'z';
      case "print" -> b >= 0x20 && b < 0x7f;
      case "punct" -> b > 0x20 && b < 0x7f && !isAlpha(b) && !isDigit(b);
      case "space" -> b == ' ' || (b >= '\t' && b <= '\r');
      case "upper" -> b >= 'A' && b <= 'Z';
      case "xdigit" -> isDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
      default -> false;
    };
  }

  private static boolean isAlpha(int b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  private static boolean isDigit(int b) {
    return b >= '0' && b <= '9';
  }
}
