package onepci.vfio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import onepci.io.IoFailure;
import onepci.sysfs.HostPaths;
import onepci.sysfs.SysfsReader;

/**
 * Asks OpenNebula's monitor client for a fresh host report after a change (SIGUSR1 to the pid in
 * {@code /var/tmp/one_db/.monitor_client.pid}), but only when that pid is still a
 * {@code monitord-client}: a stale pid file must not signal some other process.
 */
public final class MonitorSignal {

  private final HostPaths paths;
  private final Signaller signals;
  private final ActionLog log;

  public MonitorSignal(HostPaths paths, Signaller signals, ActionLog log) {
    this.paths = paths;
    this.signals = signals;
    this.log = log;
  }

  public void send(String domain) {
    Optional<Long> pid = SysfsReader.readSmall(paths.monitorClientPid()).flatMap(MonitorSignal::number);
    if (pid.isEmpty()) {
      return;
    }
    String cmdline;
    try {
      cmdline = new String(Files.readAllBytes(paths.procCmdlineOf(pid.get())), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return;
    }
    if (!cmdline.contains("monitord-client")) {
      return;
    }
    try {
      signals.usr1(pid.get());
      log.action(domain, "monitor client " + pid.get() + " signalled (SIGUSR1) to refresh the host's PCI report");
    } catch (IOException e) {
      log.action(domain, "warning: cannot signal monitor client " + pid.get() + ": " + IoFailure.reason(e));
    }
  }

  private static Optional<Long> number(String s) {
    try {
      return Optional.of(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
