package onepci.vfio;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import onepci.sysfs.PciAddress;

/**
 * What one domain holds: every device of its IOMMU groups, in the order prepare took them, with
 * the driver and override each had before. Saved atomically (a temporary file renamed over the
 * old one) before every change, so that release can undo a prepare cut short by a crash.
 *
 * <p>File {@code <state>/<domain>.journal}: a comment, {@code domain\t<name>}, then one line per
 * device: {@code address\tgroup\tbound|kept\tdriver|-\toverride|-}.
 */
public final class Journal {

  static final String SUFFIX = ".journal";

  private final Path file;
  private final String domain;
  private final List<JournalEntry> entries;

  private Journal(Path file, String domain, List<JournalEntry> entries) {
    this.file = file;
    this.domain = domain;
    this.entries = new ArrayList<>(entries);
  }

  /** The file for a domain: its name with anything but letters, digits and {@code ._+-} as {@code _}. */
  static Path fileFor(Path stateDir, String domain) {
    return stateDir.resolve(domain.replaceAll("[^A-Za-z0-9._+-]", "_") + SUFFIX);
  }

  /** The journal of a domain that holds nothing, kept in memory only: for plans that are never carried out. */
  static Journal unsaved(String domain) {
    return new Journal(Path.of(domain + SUFFIX), domain, List.of());
  }

  /** The domain's journal, empty when it holds nothing. */
  public static Journal load(Path stateDir, String domain) throws IOException {
    Path f = fileFor(stateDir, domain);
    if (!Files.exists(f)) {
      return new Journal(f, domain, List.of());
    }
    return read(f);
  }

  private static Journal read(Path f) throws IOException {
    String domain = null;
    List<JournalEntry> entries = new ArrayList<>();
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("domain\t")) {
        domain = line.substring("domain\t".length());
        continue;
      }
      try {
        entries.add(JournalEntry.parse(line));
      } catch (IllegalArgumentException e) {
        throw new IOException(f + ": " + e.getMessage() + "; fix: restore the devices by hand and delete the file");
      }
    }
    if (domain == null) {
      throw new IOException(f + ": no 'domain' line; fix: restore the devices by hand and delete the file");
    }
    return new Journal(f, domain, entries);
  }

  /** Every domain's journal in the state folder, sorted by file name. */
  public static List<Journal> all(Path stateDir) throws IOException {
    List<Journal> out = new ArrayList<>();
    if (!Files.isDirectory(stateDir)) {
      return out;
    }
    try (var s = Files.list(stateDir)) {
      for (Path f : s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
        out.add(read(f));
      }
    }
    return out;
  }

  public String domain() {
    return domain;
  }

  public Path file() {
    return file;
  }

  public List<JournalEntry> entries() {
    return List.copyOf(entries);
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  public Optional<JournalEntry> find(PciAddress address) {
    for (JournalEntry e : entries) {
      if (e.address().equals(address)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** Adds an entry (or replaces the one for the same address) and saves. */
  public void put(JournalEntry e) throws IOException {
    entries.removeIf(x -> x.address().equals(e.address()));
    entries.add(e);
    save();
  }

  /** Drops an entry and saves; the file goes when the last entry does. */
  public void remove(PciAddress address) throws IOException {
    entries.removeIf(x -> x.address().equals(address));
    save();
  }

  private void save() throws IOException {
    if (entries.isEmpty()) {
      Files.deleteIfExists(file);
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append("# one-pci vfio journal: devices this domain holds and what each had before\n");
    sb.append("domain\t").append(domain).append('\n');
    for (JournalEntry e : entries) {
      sb.append(e.line()).append('\n');
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, sb, StandardCharsets.UTF_8);
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      c.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
