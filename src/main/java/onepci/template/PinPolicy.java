package onepci.template;

import java.util.Locale;
import java.util.Optional;

/**
 * How the template pins the VM's vCPUs: {@code TOPOLOGY/PIN_POLICY} as OpenNebula reads it.
 *
 * <p>OpenNebula (VirtualMachine::is_pinned, automatic requirements) treats a VM whose TOPOLOGY has
 * a PIN_POLICY other than NONE as pinned and adds {@code (PIN_POLICY = PINNED)} to its
 * AUTOMATIC_REQUIREMENTS; every other VM gets {@code !(PIN_POLICY = PINNED)}.
 */
public enum PinPolicy {
  /** Each vCPU on a whole core of the device's NUMA node, as the guide recommends. */
  CORE,
  /** No PIN_POLICY: vCPUs float over the host's CPUs. */
  NONE;

  /** The option's value: {@code core} or {@code none}, any case. */
  public static Optional<PinPolicy> parse(String s) {
    for (PinPolicy p : values()) {
      if (p.name().equals(s.toUpperCase(Locale.ROOT))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
