package onepci.vfio;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import onepci.sysfs.PciAddress;

/**
 * What prepare will do, decided before anything is touched: every member of every IOMMU group the
 * domain's devices are in, each with its action; group by group, in the order the domain first
 * names a device of each group, and in address order within a group.
 */
public record Plan(String domain, List<Member> members) {

  public Plan {
    members = List.copyOf(members);
  }

  /** What happens to one group member. */
  public enum Action {
    /** Moved to vfio-pci now (journaled as bound). */
    BIND,
    /** Moved to vfio-pci by an earlier prepare of the same domain: nothing to do. */
    ALREADY_BOUND,
    /** On vfio-pci or a vfio variant already, or an unbound sibling: held as it is. */
    KEEP,
    /** A bridge or PCIe port: stays on its driver, not held. */
    BRIDGE
  }

  /**
   * @param driver the driver it has now
   * @param override its {@code driver_override} now
   * @param requested named by the domain (or the command line), not only a group sibling
   */
  public record Member(
      PciAddress address, int group, Action action, Optional<String> driver, Optional<String> override, boolean requested) {}

  public List<Member> toBind() {
    return members.stream().filter(m -> m.action() == Action.BIND).toList();
  }

  /** The members group by group, in the plan's order: the order prepare takes the groups in. */
  public Map<Integer, List<Member>> byGroup() {
    Map<Integer, List<Member>> out = new LinkedHashMap<>();
    members.forEach(m -> out.computeIfAbsent(m.group(), g -> new ArrayList<>()).add(m));
    return out;
  }

  public SortedSet<Integer> groups() {
    return new TreeSet<>(members.stream().map(Member::group).toList());
  }
}
