package onepci.sysfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The text of {@code /etc/group} ({@link HostPaths#etcGroup()}): group names and their ids, in
 * file order. The id is kept as written, so that a caller can say which line is wrong.
 */
public record GroupFile(List<Entry> entries) {

  /** One line: {@code name:password:gid:members}. */
  public record Entry(String name, String gid) {}

  /** Lines with fewer than three fields are not groups and are skipped. */
  public static GroupFile parse(String text) {
    List<Entry> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= 3) {
        out.add(new Entry(f[0], f[2]));
      }
    }
    return new GroupFile(List.copyOf(out));
  }

  /** The id of the first group named {@code name}, as written. */
  public Optional<String> gid(String name) {
    return entries.stream().filter(e -> e.name().equals(name)).map(Entry::gid).findFirst();
  }

  /** The name of the first group whose id is {@code gid}. */
  public Optional<String> name(int gid) {
    String id = Integer.toString(gid);
    for (Entry e : entries) {
      if (e.gid().equals(id)) {
        return Optional.of(e.name());
      }
    }
    return Optional.empty();
  }
}
