package onepci.vfio;

import onepci.sysfs.PciAddress;

/** Why one device cannot be handed to a VM, and what to do about it. */
public record Refusal(PciAddress device, String reason, String fix) {

  /** {@code 0000:01:00.0: <reason>; fix: <fix>} */
  public String line() {
    return device + ": " + reason + "; fix: " + fix;
  }
}
