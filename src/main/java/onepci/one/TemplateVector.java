package onepci.one;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An OpenNebula template vector attribute such as {@code PCI = [ ... ]}, printed exactly as the
 * stock monitoring probes print it: one {@code  NAME = "value" } per line, joined by commas.
 */
public record TemplateVector(String name, List<Attribute> attributes) {

  public TemplateVector {
    attributes = List.copyOf(attributes);
  }

  public Optional<String> get(String key) {
    for (Attribute a : attributes) {
      if (a.name().equals(key)) {
        return Optional.of(a.value());
      }
    }
    return Optional.empty();
  }

  /** The vector as text, newline-terminated, every value escaped for oned's parser. */
  public String format() {
    StringBuilder sb = new StringBuilder(64 + attributes.size() * 40);
    sb.append(name).append(" = [\n");
    for (int i = 0; i < attributes.size(); i++) {
      Attribute a = attributes.get(i);
      sb.append(' ').append(a.name()).append(" = \"").append(TemplateEscaper.escape(a.value())).append("\" ");
      sb.append(i + 1 < attributes.size() ? ",\n" : "\n");
    }
    sb.append("]\n");
    return sb.toString();
  }

  /** Builds a vector attribute by attribute, in order. */
  public static final class Builder {
    private final String name;
    private final List<Attribute> attributes = new ArrayList<>();

    public Builder(String name) {
      this.name = name;
    }

    public Builder add(String key, String value) {
      attributes.add(new Attribute(key, value));
      return this;
    }

    public TemplateVector build() {
      return new TemplateVector(name, attributes);
    }
  }
}
