package onepci.conf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciId;

/**
 * The probe's pci.conf: which devices to report.
 *
 * <p>The file is YAML with Ruby-style symbol keys ({@code :filter:}); keys without the leading
 * colon are accepted too. Plain scalars are read as text, so {@code 10de} or {@code 07:00.0} mean
 * what they look like rather than a number. The usual shapes are read by {@link PlainConf};
 * anything else by SnakeYAML ({@link YamlConf}), which is then loaded.
 *
 * @param filters lspci {@code -d} filters; a device is reported when any of them matches
 * @param shortAddresses when not empty, only these addresses are reported
 * @param deviceNames when not empty, only devices whose name matches one of these are reported
 * @param nvidiaVendors vendor ids whose devices get the NVIDIA naming and vGPU treatment
 * @param warnings things worth telling a person, that do not make the file invalid
 */
public record PciConf(
    List<IdFilter> filters,
    List<PciAddress> shortAddresses,
    List<Pattern> deviceNames,
    List<Integer> nvidiaVendors,
    List<String> warnings) {

  private static final Pattern SLOT =
      Pattern.compile("(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

  public static final List<String> KEYS = List.of("filter", "short_address", "device_name", "nvidia_vendors");

  public PciConf {
    filters = List.copyOf(filters);
    shortAddresses = List.copyOf(shortAddresses);
    deviceNames = List.copyOf(deviceNames);
    nvidiaVendors = List.copyOf(nvidiaVendors);
    warnings = List.copyOf(warnings);
  }

  /** What a pci.conf without any key means: filter {@code 0:0}, nothing else. */
  public static PciConf defaults() {
    try {
      return new PciConf(List.of(IdFilter.parse(IdFilter.NONE)), List.of(), List.of(), List.of(0x10de), List.of());
    } catch (InvalidFilterException e) {
      throw new AssertionError(e);
    }
  }

  /** Whether the device passes the filter (vendor, device, class). */
  public boolean selects(PciId id) {
    for (IdFilter f : filters) {
      if (f.matches(id)) {
        return true;
      }
    }
    return false;
  }

  /** Whether some filter passes these vendor and device ids, whatever the class. */
  public boolean selectsIds(int vendor, int device) {
    for (IdFilter f : filters) {
      if (f.matchesIds(vendor, device)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a device with these ids is selected or not by its class: some filter passes the ids
   * and none of those passes them without a class.
   */
  public boolean needsClass(int vendor, int device) {
    boolean passes = false;
    for (IdFilter f : filters) {
      if (f.matchesIds(vendor, device)) {
        if (!f.needsClass()) {
          return false;
        }
        passes = true;
      }
    }
    return passes;
  }

  /** Whether some filter selects every device ({@code *:*}): ids then decide nothing. */
  public boolean selectsEverything() {
    for (IdFilter f : filters) {
      if (f.vendor() < 0 && f.device() < 0 && !f.needsClass()) {
        return true;
      }
    }
    return false;
  }

  public boolean isNvidiaVendor(int vendor) {
    return nvidiaVendors.contains(vendor);
  }

  /** Replaces the filters, as {@code --filter} does. */
  public PciConf withFilters(List<IdFilter> replacement) {
    return new PciConf(replacement, shortAddresses, deviceNames, nvidiaVendors, warnings);
  }

  /** Reads and validates the file; any problem is a {@link ConfigException} naming it. */
  public static PciConf load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file, "the file does not exist");
    } catch (IOException e) {
      throw new ConfigException(file, "cannot be read: " + e, e);
    }
    return parse(file, text);
  }

  /** Parses the text of a pci.conf; {@code file} is used in messages. */
  public static PciConf parse(Path file, String text) throws ConfigException {
    Object doc = PlainConf.parse(text);
    if (doc == null) {
      doc = YamlConf.load(file, text);
    }
    if (doc == null) {
      throw new ConfigException(
          file, "holds no settings; set at least  :filter: '10de:*'  (or '0:0' to report no device)");
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new ConfigException(file, "the top level must be a mapping such as  :filter: '10de:*'");
    }

    Map<String, Object> values = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String raw = String.valueOf(e.getKey());
      String key = raw.startsWith(":") ? raw.substring(1) : raw;
      if (!KEYS.contains(key)) {
        warnings.add(file + ": unknown key '" + raw + "' ignored (known: :" + String.join(", :", KEYS) + ")");
        continue;
      }
      if (values.containsKey(key)) {
        throw new ConfigException(file, "'" + key + "' is given twice (as ':" + key + "' and '" + key + "'); keep one");
      }
      values.put(key, e.getValue());
    }

    PciConf d = defaults();
    List<IdFilter> filters = values.containsKey("filter") ? filters(file, values.get("filter")) : d.filters();
    List<PciAddress> shorts = new ArrayList<>();
    for (String s : strings(file, "short_address", values.get("short_address"))) {
      PciAddress a = SLOT.matcher(s.strip()).matches() ? PciAddress.parseOrNull(s) : null;
      if (a == null) {
        throw new ConfigException(
            file, ":short_address: '" + s + "' is not an lspci slot such as '07:00.0' (or '0001:07:00.0')");
      }
      shorts.add(a);
    }
    List<Pattern> names = new ArrayList<>();
    for (String s : strings(file, "device_name", values.get("device_name"))) {
      try {
        names.add(Pattern.compile(s, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
      } catch (PatternSyntaxException e) {
        throw new ConfigException(
            file, ":device_name: '" + s + "' is not a valid regular expression: " + e.getDescription());
      }
    }
    List<Integer> vendors = new ArrayList<>();
    if (values.containsKey("nvidia_vendors")) {
      for (String s : strings(file, "nvidia_vendors", values.get("nvidia_vendors"))) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        if (!v.matches("[0-9a-f]{1,4}")) {
          throw new ConfigException(
              file, ":nvidia_vendors: '" + s + "' is not a vendor id such as '10de'");
        }
        vendors.add(Integer.parseInt(v, 16));
      }
    } else {
      vendors.addAll(d.nvidiaVendors());
    }
    return new PciConf(filters, shorts, names, vendors, warnings);
  }

  /**
   * The filter setting: a string of comma-separated filters, a list of such strings, or null
   * (every device, as lspci without {@code -d}).
   */
  public static List<IdFilter> filters(Path file, Object value) throws ConfigException {
    if (value == null) {
      return List.of(matchAll());
    }
    List<String> texts = new ArrayList<>();
    if (value instanceof String s) {
      texts.add(s);
    } else if (value instanceof List<?> list) {
      for (Object o : list) {
        if (!(o instanceof String s)) {
          throw new ConfigException(
              file, ":filter: list items must be strings such as '10de:*', found " + describe(o));
        }
        texts.add(s);
      }
    } else {
      throw new ConfigException(file, ":filter: must be a string such as '10de:*' or a list of them, found " + describe(value));
    }
    List<IdFilter> out = new ArrayList<>();
    for (String t : texts) {
      for (String piece : t.split(",")) {
        String p = piece.strip();
        if (p.isEmpty()) {
          continue;
        }
        try {
          out.add(IdFilter.parse(p));
        } catch (InvalidFilterException e) {
          throw new ConfigException(file, ":filter: " + e.getMessage(), e);
        }
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(
          file, ":filter: is empty; write '0:0' to report no device or '*:*' to report every device");
    }
    return out;
  }

  private static IdFilter matchAll() {
    try {
      return IdFilter.parse("*:*");
    } catch (InvalidFilterException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> strings(Path file, String key, Object value) throws ConfigException {
    if (value == null) {
      return List.of();
    }
    if (value instanceof String s) {
      return List.of(s);
    }
    if (value instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof String s)) {
          throw new ConfigException(file, ":" + key + ": list items must be strings, found " + describe(o));
        }
        out.add(s);
      }
      return out;
    }
    throw new ConfigException(file, ":" + key + ": must be a list of strings, found " + describe(value));
  }

  private static String describe(Object o) {
    if (o == null) {
      return "an empty value";
    }
    if (o instanceof Map) {
      return "a mapping";
    }
    if (o instanceof List) {
      return "a nested list";
    }
    return "'" + o + "'";
  }
}
