package onepci.conf;

/**
 * A value of pci.conf as Ruby's Psych reads it (what the stock probe sees), with the line it starts
 * on (from 1), for messages.
 *
 * @param value null (YAML's empty value, {@code ~}, {@code null}), a {@code String}, a
 *     {@code List<ConfValue>}, a {@code Map<String, ConfValue>}, or a {@link PsychScalar.Other}
 *     (a number, true or false, a symbol: anything that is not text)
 */
record ConfValue(Object value, int line) {

  /** The value in words, for messages. */
  static String describe(Object o) {
    if (o == null) {
      return "an empty value";
    }
    if (o instanceof java.util.Map) {
      return "a mapping";
    }
    if (o instanceof java.util.List) {
      return "a list";
    }
    if (o instanceof PsychScalar.Other other) {
      return other.what();
    }
    return "'" + o + "'";
  }
}
