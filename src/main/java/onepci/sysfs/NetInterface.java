package onepci.sysfs;

import java.util.Optional;

/** A network interface under a device's {@code net/} folder, with its switchdev port name if any. */
public record NetInterface(String name, Optional<String> physPortName) {}
