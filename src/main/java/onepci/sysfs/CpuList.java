package onepci.sysfs;

import java.util.BitSet;

/**
 * A kernel CPU list such as {@code 0-15,32-47} ({@code local_cpulist}, a NUMA node's
 * {@code cpulist}, {@code thread_siblings_list}).
 */
public record CpuList(BitSet cpus) {

  public CpuList {
    cpus = (BitSet) cpus.clone();
  }

  /** Parses the kernel's format; an empty text is an empty list. */
  public static CpuList parse(String text) {
    BitSet set = new BitSet();
    String s = text.strip();
    if (s.isEmpty()) {
      return new CpuList(set);
    }
    for (String part : s.split(",")) {
      String p = part.strip();
      int dash = p.indexOf('-');
      try {
        if (dash < 0) {
          set.set(Integer.parseInt(p));
        } else {
          int from = Integer.parseInt(p.substring(0, dash));
          int to = Integer.parseInt(p.substring(dash + 1));
          if (to < from) {
            throw new IllegalArgumentException("'" + text + "' is not a CPU list: range " + p + " runs backwards");
          }
          set.set(from, to + 1);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not a CPU list such as 0-15,32-47", e);
      }
    }
    return new CpuList(set);
  }

  public int count() {
    return cpus.cardinality();
  }

  public boolean isEmpty() {
    return cpus.isEmpty();
  }

  /** The CPU numbers, ascending. */
  public int[] toArray() {
    return cpus.stream().toArray();
  }

  @Override
  public BitSet cpus() {
    return (BitSet) cpus.clone();
  }
}
