package onepci.vfio;

import java.util.Optional;
import onepci.sysfs.PciAddress;

/**
 * One device a domain holds, with what it was before.
 *
 * @param bound true when this project moved it to vfio-pci (release gives it back); false when it
 *     was already on vfio-pci or unbound and is only held (release leaves it as it is)
 * @param driver the driver it had before, absent when it had none
 * @param override its {@code driver_override} before, absent when unset
 */
public record JournalEntry(PciAddress address, int group, boolean bound, Optional<String> driver, Optional<String> override) {

  static final String NONE = "-";

  String line() {
    return address + "\t" + group + "\t" + (bound ? "bound" : "kept") + "\t" + driver.orElse(NONE) + "\t" + override.orElse(NONE);
  }

  static JournalEntry parse(String line) {
    String[] f = line.split("\t");
    if (f.length != 5 || !(f[2].equals("bound") || f[2].equals("kept"))) {
      throw new IllegalArgumentException("not a journal line: '" + line + "'");
    }
    return new JournalEntry(
        PciAddress.parse(f[0]), Integer.parseInt(f[1]), f[2].equals("bound"), optional(f[3]), optional(f[4]));
  }

  private static Optional<String> optional(String s) {
    return s.equals(NONE) ? Optional.empty() : Optional.of(s);
  }
}
