package onepci.sysfs;

import java.util.Optional;

/** A PCI function's place in SR-IOV, as sysfs shows it. */
public sealed interface SriovRole {

  /** Neither a physical function with SR-IOV capability nor a virtual function. */
  record None() implements SriovRole {}

  /** A physical function: it has {@code sriov_totalvfs} or {@code sriov_numvfs}. */
  record PhysicalFunction(int enabledVfs, int totalVfs) implements SriovRole {}

  /** A virtual function: it has a {@code physfn} link; the parent is empty if the link cannot be read. */
  record VirtualFunction(Optional<PciAddress> parent) implements SriovRole {}

  None NONE = new None();

  /** The word OpenNebula's SRIOV attribute uses: {@code pf}, {@code vf} or {@code no}. */
  default String oneName() {
    if (this instanceof PhysicalFunction) {
      return "pf";
    }
    if (this instanceof VirtualFunction) {
      return "vf";
    }
    return "no";
  }
}
