package onepci.sysfs;

import java.io.IOException;

/** A device that could not be read: it vanished mid-scan, or one of its files is unreadable. */
public final class DeviceReadException extends IOException {
  private static final long serialVersionUID = 1L;

  private final PciAddress address;

  public DeviceReadException(PciAddress address, String message, Throwable cause) {
    super(address + ": " + message, cause);
    this.address = address;
  }

  public PciAddress address() {
    return address;
  }
}
