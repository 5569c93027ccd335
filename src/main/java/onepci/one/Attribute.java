package onepci.one;

/** One {@code NAME = "value"} pair of an OpenNebula template vector. */
public record Attribute(String name, String value) {}
