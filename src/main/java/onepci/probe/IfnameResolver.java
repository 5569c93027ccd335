package onepci.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import onepci.io.IoFailure;
import onepci.sysfs.HostPaths;
import onepci.sysfs.NetInterface;
import onepci.sysfs.PciAddress;
import onepci.sysfs.SysfsReader;

/**
 * The network interface name of a device, from the sources OpenNebula uses, first match wins:
 * the comments of the udev rename rules ({@code # 0000:3b:00.0 <- ens1f0}), the name cache under
 * {@code /var/tmp/one_db/pci_net_names/}, then the device's {@code net/} folder. A name found in
 * sysfs is written to the cache, so it survives the device moving to vfio-pci.
 */
final class IfnameResolver {

  static final String NONE = "-";

  /**
   * The patterns, compiled at their first use only (a class of their own): most hosts have no
   * rules file and few functions with several interfaces, and compiling them cost the probe ms.
   */
  private static final class Patterns {
    static final Pattern RULE_COMMENT =
        Pattern.compile("^\\s*#\\s*([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7])\\s*<-\\s*(\\S+)");
    static final Pattern PF_PORT = Pattern.compile("p\\d+");
  }

  private final HostPaths paths;
  private final Consumer<String> warn;
  private Map<PciAddress, String> rules;
  private Set<String> cached;
  private boolean cacheWriteWarned;

  IfnameResolver(HostPaths paths, Consumer<String> warn) {
    this.paths = paths;
    this.warn = warn;
  }

  String resolve(PciAddress address, List<NetInterface> sysfsNames) {
    String fromRules = rules().get(address);
    if (fromRules != null) {
      return fromRules;
    }
    String key = address.toString();
    if (cached().contains(key)) {
      Optional<String> name = SysfsReader.readSmall(paths.netNameCache().resolve(key));
      if (name.isPresent() && !name.get().isEmpty()) {
        return name.get();
      }
    }
    String name = fromSysfs(sysfsNames);
    if (!name.equals(NONE)) {
      remember(key, name);
    }
    return name;
  }

  /** One name: it. Several (a switchdev PF and its representors): the {@code pN} port, else none. */
  static String fromSysfs(List<NetInterface> names) {
    if (names.isEmpty()) {
      return NONE;
    }
    if (names.size() == 1) {
      return names.get(0).name();
    }
    for (NetInterface n : names) {
      if (n.physPortName().isPresent() && Patterns.PF_PORT.matcher(n.physPortName().get()).matches()) {
        return n.name();
      }
    }
    return NONE;
  }

  private Map<PciAddress, String> rules() {
    if (rules == null) {
      rules = new HashMap<>();
      Path file = paths.udevRenameRules();
      if (Files.exists(file)) {
        try {
          for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            Matcher m = Patterns.RULE_COMMENT.matcher(line);
            if (m.find()) {
              rules.putIfAbsent(PciAddress.parse(m.group(1)), m.group(2));
            }
          }
        } catch (IOException | RuntimeException e) {
          warn.accept(file + ": cannot be read, interface names from it are not used: "
              + (e instanceof IOException io ? IoFailure.reason(io) : e.getMessage()));
        }
      }
    }
    return rules;
  }

  private Set<String> cached() {
    if (cached == null) {
      String[] names = paths.netNameCache().toFile().list();
      cached = names == null ? Set.of() : new HashSet<>(List.of(names));
    }
    return cached;
  }

  private void remember(String key, String name) {
    Path dir = paths.netNameCache();
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + key + ".tmp");
      Files.writeString(tmp, name + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(key), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      if (!cacheWriteWarned) {
        cacheWriteWarned = true;
        warn.accept(dir + ": interface names cannot be cached ("
            + (e instanceof IOException io ? IoFailure.describe(io) : "a path in it is not valid") + ")");
      }
    }
  }
}
