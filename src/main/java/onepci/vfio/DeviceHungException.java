package onepci.vfio;

import java.io.IOException;
import onepci.sysfs.PciAddress;

/** A write to one device's sysfs files did not return: its state is unknown until it does. */
public final class DeviceHungException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient PciAddress device;

  public DeviceHungException(PciAddress device, String message, Throwable cause) {
    super(message, cause);
    this.device = device;
  }

  public PciAddress device() {
    return device;
  }
}
