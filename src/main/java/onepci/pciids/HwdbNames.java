package onepci.pciids;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import onepci.hwdb.HwdbFile;
import onepci.hwdb.HwdbFormatException;

/**
 * Names from udev's hardware database, asked as libpci asks it ({@code lib/names-hwdb.c}): the
 * modalias and property of each kind of name. The file is opened at the first question only, as
 * sd-hwdb opens it: the first of the candidates that exists; one that exists but cannot be used
 * ends the search. A missing, unreadable or damaged database is one warning, then no names.
 */
final class HwdbNames {

  private final List<Path> candidates;
  private final Consumer<String> warn;
  private final Map<String, Optional<String>> asked = new HashMap<>();
  private HwdbFile file;
  private boolean unusable;

  HwdbNames(List<Path> candidates, Consumer<String> warn) {
    this.candidates = List.copyOf(candidates);
    this.warn = warn;
  }

  Optional<String> vendor(int vendor) {
    return get("pci:v" + hex(vendor, 8) + "*", "ID_VENDOR_FROM_DATABASE");
  }

  Optional<String> device(int vendor, int device) {
    return get("pci:v" + hex(vendor, 8) + "d" + hex(device, 8) + "*", "ID_MODEL_FROM_DATABASE");
  }

  /** The name of a base class ({@code 0x03}). */
  Optional<String> baseClass(int baseClass) {
    return get("pci:v*d*sv*sd*bc" + hex(baseClass, 2) + "*", "ID_PCI_CLASS_FROM_DATABASE");
  }

  /** The name of a subclass, given as a 16-bit class ({@code 0x0302}). */
  Optional<String> subclass(int classId) {
    return get("pci:v*d*sv*sd*bc" + hex(classId >>> 8, 2) + "sc" + hex(classId & 0xff, 2) + "*", "ID_PCI_SUBCLASS_FROM_DATABASE");
  }

  /** Upper-case hex of {@code digits} digits, as libpci's {@code %0NX} (no Formatter: it is slow to start). */
  private static String hex(int value, int digits) {
    char[] c = new char[digits];
    for (int i = digits - 1; i >= 0; i--) {
      c[i] = Character.toUpperCase(Character.forDigit(value & 0xf, 16));
      value >>>= 4;
    }
    return new String(c);
  }

  /** The property of the modalias; an empty value is no name, as for libpci. */
  private Optional<String> get(String modalias, String key) {
    String k = modalias + '\n' + key;
    Optional<String> known = asked.get(k);
    if (known != null) {
      return known;
    }
    Optional<String> value = Optional.empty();
    HwdbFile hwdb = open();
    if (hwdb != null) {
      try {
        String v = hwdb.properties(modalias).get(key); // no lambda: invokedynamic costs ms at start-up
        value = v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
      } catch (HwdbFormatException e) {
        fail(e.getMessage());
      }
    }
    asked.put(k, value);
    return value;
  }

  private HwdbFile open() {
    if (file != null || unusable) {
      return file;
    }
    for (Path p : candidates) {
      try {
        file = HwdbFile.open(p);
        return file;
      } catch (NoSuchFileException e) {
        continue;
      } catch (HwdbFormatException e) {
        fail(e.getMessage());
      } catch (AccessDeniedException e) {
        fail(p + ": the hardware database cannot be read (permission denied)");
      } catch (IOException e) {
        fail(p + ": the hardware database cannot be read" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
      }
      return null;
    }
    String where = candidates.stream().map(Path::toString).collect(Collectors.joining(", "));
    unusable = true;
    warn.accept("no udev hardware database (hwdb.bin) in " + where + "; names pci.ids lacks stay 'Vendor', 'Device' or 'Class'"
        + " (install udev, or run systemd-hwdb update)");
    return null;
  }

  private void fail(String problem) {
    unusable = true;
    file = null;
    warn.accept(problem + "; names pci.ids lacks stay 'Vendor', 'Device' or 'Class' (run systemd-hwdb update)");
  }
}
