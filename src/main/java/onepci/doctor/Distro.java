package onepci.doctor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import onepci.sysfs.HostPaths;

/**
 * The family of the host's distribution, which decides how a fix changes the kernel command line
 * (GRUB's {@code /etc/default/grub} and {@code update-grub}, or {@code grubby}) and installs a
 * package ({@code apt-get} or {@code dnf}): from {@code ID} and {@code ID_LIKE} in os-release(5).
 */
enum Distro {
  DEBIAN,
  RHEL,
  UNKNOWN;

  private static final List<String> DEBIAN_IDS = List.of("debian", "ubuntu");
  private static final List<String> RHEL_IDS = List.of("rhel", "fedora", "centos", "almalinux", "rocky", "ol");

  static Distro of(HostPaths paths) {
    for (Path f : paths.osReleaseCandidates()) {
      if (FileRead.of(f) instanceof FileRead.Text t) {
        return fromOsRelease(t.text());
      }
    }
    return UNKNOWN;
  }

  /** The family of the first of {@code ID}, then the words of {@code ID_LIKE}, that names one. */
  static Distro fromOsRelease(String text) {
    String id = "";
    String like = "";
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (l.startsWith("ID=")) {
        id = value(l.substring(3));
      } else if (l.startsWith("ID_LIKE=")) {
        like = value(l.substring(8));
      }
    }
    StringBuilder words = new StringBuilder(id).append(' ').append(like);
    for (String w : Arrays.asList(words.toString().strip().split("\\s+"))) {
      if (DEBIAN_IDS.contains(w)) {
        return DEBIAN;
      }
      if (RHEL_IDS.contains(w)) {
        return RHEL;
      }
    }
    return UNKNOWN;
  }

  private static String value(String raw) {
    String v = raw.strip();
    if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
      v = v.substring(1, v.length() - 1);
    }
    return v.toLowerCase(Locale.ROOT);
  }
}
