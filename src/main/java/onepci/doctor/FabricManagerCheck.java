package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * NVIDIA Fabric Manager on a host with NVSwitches. In full passthrough the VM's own Fabric Manager
 * drives the NVSwitches it is given; the host's must not run while the probe offers them.
 *
 * <p>"Active" is read from {@code /proc} (under the doctor's root), not asked of systemd: a process
 * whose {@code comm} is {@code nv-fabricmanage} (the kernel keeps the first 15 bytes of the
 * executable's name, {@code nv-fabricmanager}, in {@code comm}). That finds it however it was
 * started (the {@code nvidia-fabricmanager} unit or by hand), needs no D-Bus or systemctl, and a
 * fixture fakes it with two files. The check fails closed: when {@code /proc} cannot be listed, or
 * this user cannot see other users' processes (no {@code /proc/1}: {@code hidepid}), it says so
 * rather than "not running".
 */
final class FabricManagerCheck implements CheckGroup {

  static final String NAME = "fabric-manager";

  /** {@code nv-fabricmanager} as {@code /proc/PID/comm} holds it: cut to 15 bytes. */
  static final String COMM = "nv-fabricmanage";

  /** What stops it now and at boot. */
  static final String FIX = "systemctl disable --now nvidia-fabricmanager";

  @Override
  public List<Check> run(HostState host) {
    List<HostState.Examined> switches = host.devices().stream().filter(HostState.Examined::isNvSwitch).toList();
    if (switches.isEmpty()) {
      return List.of();
    }
    boolean offered = switches.stream().anyMatch(HostState.Examined::selected);
    Path proc = host.paths().proc();
    String[] entries = proc.toFile().list();
    if (entries == null) {
      return List.of(unknown(offered, "cannot list " + proc));
    }
    if (!Files.isDirectory(proc.resolve("1"))) {
      return List.of(unknown(offered, "this user cannot see other users' processes in " + proc + " (no " + proc.resolve("1") + ")"));
    }
    List<String> pids = new ArrayList<>();
    for (String e : entries) {
      if (!e.chars().allMatch(Character::isDigit)) {
        continue;
      }
      Optional<String> comm = FileRead.of(host.paths().procComm(Long.parseLong(e))) instanceof FileRead.Text t
          ? Optional.of(t.text().strip())
          : Optional.empty();
      if (comm.filter(COMM::equals).isPresent()) {
        pids.add(e);
      }
    }
    pids.sort((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)));
    if (pids.isEmpty()) {
      return List.of(Check.pass(NAME, Check.HOST, "no nv-fabricmanager process in " + proc + ": the NVSwitches are free for a VM's Fabric Manager"));
    }
    String running = "nv-fabricmanager runs on this host (pid " + String.join(", ", pids) + ")";
    if (offered) {
      return List.of(Check.fail(
          NAME, Check.HOST,
          running + " while the probe offers the NVSwitches to VMs: the VM's Fabric Manager needs them for NVLink",
          FIX));
    }
    return List.of(Check.pass(NAME, Check.HOST, running + ", and the probe does not offer the NVSwitches: the host keeps NVLink"));
  }

  private static Check unknown(boolean offered, String why) {
    if (!offered) {
      return Check.pass(NAME, Check.HOST, "the probe does not offer the NVSwitches (whether nv-fabricmanager runs is unknown: " + why + ")");
    }
    return Check.warn(NAME, Check.HOST, "whether nv-fabricmanager runs is unknown: " + why, Fixes.asRoot());
  }
}
