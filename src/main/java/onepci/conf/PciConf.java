package onepci.conf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
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
import onepci.io.IoFailure;
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
 * @param readiness whether the probe prints the host's passthrough readiness ({@code PCI_PASSTHROUGH},
 *     {@code :passthrough_readiness:}, true unless set to false)
 * @param warnings things worth telling a person, that do not make the file invalid
 */
public record PciConf(
    List<IdFilter> filters,
    List<PciAddress> shortAddresses,
    List<Pattern> deviceNames,
    List<Integer> nvidiaVendors,
    boolean readiness,
    List<String> warnings) {

  private static final Pattern SLOT =
      Pattern.compile("(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

  public static final List<String> KEYS = List.of("filter", "short_address", "device_name", "nvidia_vendors", "passthrough_readiness");

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
      return new PciConf(List.of(IdFilter.parse(IdFilter.NONE)), List.of(), List.of(), List.of(0x10de), true, List.of());
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
    return new PciConf(replacement, shortAddresses, deviceNames, nvidiaVendors, readiness, warnings);
  }

  /** Reads and validates the file; any problem is a {@link ConfigException} naming it. */
  public static PciConf load(Path file) throws ConfigException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file, "the file does not exist");
    } catch (AccessDeniedException e) {
      throw new ConfigException(file, "cannot be read: " + IoFailure.reason(e) + "; " + IoFailure.fix(e));
    } catch (FileSystemException e) {
      throw new ConfigException(file, "cannot be read: " + (e.getReason() != null ? e.getReason() : "input/output error").toLowerCase(Locale.ROOT));
    } catch (IOException e) {
      throw new ConfigException(file, "cannot be read: " + IoFailure.reason(e) + (IoFailure.fix(e).isEmpty() ? "" : "; " + IoFailure.fix(e)), e);
    }
    return parse(file, utf8(file, bytes));
  }

  /** The text, or the line of the first byte that is not UTF-8 (YAML files are UTF-8). */
  private static String utf8(Path file, byte[] bytes) throws ConfigException {
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (text.indexOf('\uFFFD') < 0) {
      return text; // no byte was replaced: all of it is UTF-8
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      int at = in.position();
      int line = 1;
      for (int k = 0; k < at; k++) {
        if (bytes[k] == '\n') {
          line++;
        }
      }
      throw new ConfigException(
          file, String.format("line %d: byte 0x%02x is not UTF-8 text; save the file as UTF-8", line, bytes[at] & 0xff));
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  /** Parses the text of a pci.conf; {@code file} is used in messages. */
  public static PciConf parse(Path file, String text) throws ConfigException {
    Map<String, ConfValue> doc = PlainConf.parse(text);
    if (doc == null) {
      doc = YamlConf.load(file, text);
    }
    if (doc == null) {
      throw new ConfigException(
          file, "holds no settings; set at least  :filter: '10de:*'  (or '0:0' to report no device)");
    }

    Map<String, ConfValue> values = new LinkedHashMap<>();
    Map<String, String> spelled = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<String, ConfValue> e : doc.entrySet()) {
      String raw = e.getKey();
      String key = raw.startsWith(":") ? raw.substring(1) : raw;
      if (!KEYS.contains(key)) {
        warnings.add(file + ": line " + e.getValue().line() + ": unknown key '" + raw + "' ignored (known: :" + String.join(", :", KEYS) + ")");
        continue;
      }
      if (values.containsKey(key)) {
        throw new ConfigException(
            file,
            "line " + e.getValue().line() + ": '" + key + "' is given twice (as '" + spelled.get(key) + "' and '" + raw + "'); keep one");
      }
      values.put(key, e.getValue());
      spelled.put(key, raw);
    }

    PciConf d = defaults();
    List<IdFilter> filters = values.containsKey("filter") ? filters(file, values.get("filter")) : d.filters();
    List<PciAddress> shorts = new ArrayList<>();
    for (ConfValue v : strings(file, "short_address", values.get("short_address"), "'07:00.0'")) {
      String s = (String) v.value();
      PciAddress a = SLOT.matcher(s.strip()).matches() ? PciAddress.parseOrNull(s) : null;
      if (a == null) {
        throw new ConfigException(
            file, "line " + v.line() + ": :short_address: '" + s + "' is not an lspci slot such as '07:00.0' (or '0001:07:00.0')");
      }
      if (!a.shortAddress().equals(s)) {
        throw new ConfigException(
            file, "line " + v.line() + ": :short_address: '" + s + "' is not written as lspci prints it (the stock probe compares the text); write '" + a.shortAddress() + "'");
      }
      shorts.add(a);
    }
    List<Pattern> names = new ArrayList<>();
    ConfValue nameValue = values.get("device_name");
    if (nameValue != null && nameValue.value() instanceof String) {
      throw new ConfigException(
          file, "line " + nameValue.line() + ": :device_name: must be a list such as ['H100'], not a single text (the stock probe fails on it)");
    }
    for (ConfValue v : strings(file, "device_name", nameValue, "'H100'")) {
      String s = (String) v.value();
      try {
        names.add(Pattern.compile(s, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
      } catch (PatternSyntaxException e) {
        throw new ConfigException(
            file, "line " + v.line() + ": :device_name: '" + s + "' is not a valid regular expression: " + e.getDescription());
      }
    }
    List<Integer> vendors = new ArrayList<>();
    if (values.containsKey("nvidia_vendors")) {
      for (ConfValue v : strings(file, "nvidia_vendors", values.get("nvidia_vendors"), "'10de'")) {
        String s = (String) v.value();
        if (!s.matches("[0-9a-f]{4}")) {
          throw new ConfigException(
              file, "line " + v.line() + ": :nvidia_vendors: '" + s + "' is not a vendor id as lspci prints it, such as '10de'");
        }
        vendors.add(Integer.parseInt(s, 16));
      }
    } else {
      vendors.addAll(d.nvidiaVendors());
    }
    boolean readiness = values.containsKey("passthrough_readiness") ? trueOrFalse(file, "passthrough_readiness", values.get("passthrough_readiness")) : d.readiness();
    return new PciConf(filters, shorts, names, vendors, readiness, warnings);
  }

  /** YAML's true or false ({@code true}, {@code false}, {@code yes}, {@code no}, {@code on}, {@code off}, unquoted). */
  private static boolean trueOrFalse(Path file, String key, ConfValue v) throws ConfigException {
    if (v.value() instanceof PsychScalar.Other o && o.what().equals(PsychScalar.TRUE_OR_FALSE)) {
      return o.text().matches("(?i)yes|true|on");
    }
    throw new ConfigException(
        file, "line " + v.line() + ": :" + key + ": must be true or false (unquoted), found " + ConfValue.describe(v.value()));
  }

  /**
   * The filter given on a command line: a string of comma-separated filters; null is every
   * device, as lspci without {@code -d}.
   */
  public static List<IdFilter> filters(Path file, String value) throws ConfigException {
    return filters(file, new ConfValue(value, 0));
  }

  /**
   * The filter setting: a string of comma-separated filters, a list of such strings (nested lists
   * flattened, as the stock probe does), or nothing (every device, as lspci without {@code -d}).
   */
  private static List<IdFilter> filters(Path file, ConfValue value) throws ConfigException {
    if (value.value() == null) {
      return List.of(matchAll());
    }
    List<ConfValue> texts = new ArrayList<>();
    List<ConfValue> todo = new ArrayList<>(List.of(value));
    while (!todo.isEmpty()) {
      ConfValue v = todo.remove(0);
      if (v.value() instanceof String) {
        texts.add(v);
      } else if (v.value() instanceof List<?>) {
        @SuppressWarnings("unchecked")
        List<ConfValue> items = (List<ConfValue>) v.value();
        todo.addAll(0, items);
      } else {
        throw new ConfigException(file, "line " + v.line() + ": :filter: " + notText(v, "'10de:*'"));
      }
    }
    List<IdFilter> out = new ArrayList<>();
    for (ConfValue t : texts) {
      for (String piece : ((String) t.value()).split(",")) {
        String p = piece.strip();
        if (p.isEmpty()) {
          continue;
        }
        try {
          out.add(IdFilter.parse(p));
        } catch (InvalidFilterException e) {
          throw new ConfigException(file, where(t) + ":filter: " + e.getMessage(), e);
        }
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(
          file, where(value) + ":filter: is empty; write '0:0' to report no device or '*:*' to report every device");
    }
    return out;
  }

  /** "line N: ", or nothing for a value from the command line. */
  private static String where(ConfValue v) {
    return v.line() > 0 ? "line " + v.line() + ": " : "";
  }

  /** What is wrong with a value that should have been text. */
  private static String notText(ConfValue v, String example) {
    if (v.value() instanceof PsychScalar.Other o) {
      return o.text() + " is read by YAML as " + o.what() + ", not as text; quote it: '" + o.text() + "'";
    }
    return "must be text such as " + example + ", found " + ConfValue.describe(v.value());
  }

  private static IdFilter matchAll() {
    try {
      return IdFilter.parse("*:*");
    } catch (InvalidFilterException e) {
      throw new AssertionError(e);
    }
  }

  /** A list of texts, or one text; nothing (YAML's empty value) is an error: the stock probe fails on it. */
  private static List<ConfValue> strings(Path file, String key, ConfValue value, String example) throws ConfigException {
    if (value == null) {
      return List.of();
    }
    if (value.value() == null) {
      throw new ConfigException(
          file, "line " + value.line() + ": :" + key + ": has no value; write [] for none, or a list such as [" + example + "] (the stock probe fails on an empty value)");
    }
    if (value.value() instanceof String) {
      return List.of(value);
    }
    if (value.value() instanceof List<?> list) {
      List<ConfValue> out = new ArrayList<>();
      for (Object o : list) {
        ConfValue item = (ConfValue) o;
        if (!(item.value() instanceof String)) {
          throw new ConfigException(file, "line " + item.line() + ": :" + key + ": " + notText(item, example));
        }
        out.add(item);
      }
      return out;
    }
    throw new ConfigException(file, "line " + value.line() + ": :" + key + ": must be a list such as [" + example + "], found " + ConfValue.describe(value.value()));
  }
}
