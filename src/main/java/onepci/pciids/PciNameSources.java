package onepci.pciids;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where device names come from, in libpci's order: the PCI ID database ({@code pci.ids}), then,
 * for the ids it lacks, udev's compiled hardware database ({@code hwdb.bin}), then lspci's words.
 * A database that cannot be used is a warning, never a failure: names are then what the other
 * gives.
 *
 * @param pciIds the pci.ids file, if one was found
 * @param hwdbCandidates the places of hwdb.bin, in the order sd-hwdb tries them
 */
public record PciNameSources(Optional<PciIdsDatabase> pciIds, List<Path> hwdbCandidates) {

  public PciNameSources {
    hwdbCandidates = List.copyOf(hwdbCandidates);
  }

  /** The host's own databases: pci.ids as the probe finds it, hwdb.bin in sd-hwdb's places under the root, then on this host. */
  public static PciNameSources forHost(onepci.sysfs.HostPaths paths) throws IOException {
    return new PciNameSources(PciIdsDatabase.find(paths), hwdbPlaces(paths));
  }

  /** sd-hwdb's places for hwdb.bin under the root, then (for a fixture root) on this host. */
  public static List<Path> hwdbPlaces(onepci.sysfs.HostPaths paths) {
    List<Path> candidates = new java.util.ArrayList<>(paths.hwdbCandidates());
    if (!paths.isRealRoot()) {
      candidates.addAll(onepci.sysfs.HostPaths.real().hwdbCandidates());
    }
    return candidates;
  }

  /**
   * The names of what the request holds; pci.ids is read now, hwdb.bin only when a name pci.ids
   * lacks is asked for. Problems with either go to {@code warn}, once each.
   */
  public PciNames lookup(PciIdsDatabase.Request request, Consumer<String> warn) {
    if (request.isEmpty()) {
      return PciNames.none();
    }
    PciNames names = PciNames.none();
    if (pciIds.isPresent()) {
      try {
        names = pciIds.get().lookup(request);
      } catch (IOException e) {
        warn.accept(describe(pciIds.get().file(), e) + "; names come from udev's hardware database alone"
            + " (reinstall the pci.ids or hwdata package)");
      }
    }
    return names.withHwdb(new HwdbNames(hwdbCandidates, warn));
  }

  private static String describe(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return file + ": the PCI ID database is gone";
    }
    if (e instanceof AccessDeniedException) {
      return file + ": the PCI ID database cannot be read (permission denied)";
    }
    String m = e.getMessage();
    if (m != null && m.startsWith(file.toString())) {
      return m; // our own words, naming the file
    }
    return file + ": the PCI ID database cannot be read" + (m == null ? "" : " (" + m + ")");
  }
}
