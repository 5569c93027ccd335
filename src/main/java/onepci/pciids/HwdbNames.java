package onepci.pciids;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
    return get(String.format(Locale.ROOT, "pci:v%08X*", vendor), "ID_VENDOR_FROM_DATABASE");
  }

  Optional<String> device(int vendor, int device) {
    return get(String.format(Locale.ROOT, "pci:v%08Xd%08X*", vendor, device), "ID_MODEL_FROM_DATABASE");
  }

  /** The name of a base class ({@code 0x03}). */
  Optional<String> baseClass(int baseClass) {
    return get(String.format(Locale.ROOT, "pci:v*d*sv*sd*bc%02X*", baseClass), "ID_PCI_CLASS_FROM_DATABASE");
  }

  /** The name of a subclass, given as a 16-bit class ({@code 0x0302}). */
  Optional<String> subclass(int classId) {
    return get(
        String.format(Locale.ROOT, "pci:v*d*sv*sd*bc%02Xsc%02X*", classId >>> 8, classId & 0xff), "ID_PCI_SUBCLASS_FROM_DATABASE");
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
        value = Optional.ofNullable(hwdb.properties(modalias).get(key)).filter(v -> !v.isEmpty());
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
