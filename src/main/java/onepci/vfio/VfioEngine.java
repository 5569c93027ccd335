package onepci.vfio;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import onepci.io.IoFailure;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;

/**
 * prepare and release for one domain: plan, journal, bind, roll back, restore. Every call runs
 * under the state lock, so that concurrent domains see each other's journals.
 */
public final class VfioEngine {

  public static final int OK = 0;
  public static final int FAILED = 1;

  private final HostPaths paths;
  private final Kernel kernel;
  private final ActionLog log;
  private final Path state;
  private final Duration lockTimeout;

  public VfioEngine(HostPaths paths, Kernel kernel, ActionLog log) {
    this(paths, kernel, log, StateLock.DEFAULT_TIMEOUT);
  }

  /** @param lockTimeout how long a call waits for another one to let go of the state lock */
  public VfioEngine(HostPaths paths, Kernel kernel, ActionLog log, Duration lockTimeout) {
    this.paths = paths;
    this.kernel = kernel;
    this.log = log;
    this.state = paths.vfioState();
    this.lockTimeout = lockTimeout;
  }

  /** The log file every action line goes to. */
  public static Path logFile(HostPaths paths) {
    return paths.vfioState().resolve("vfio.log");
  }

  /**
   * Moves the devices and the rest of their IOMMU groups to vfio-pci.
   *
   * @param dryRun where to print the writes instead of making them (nothing is locked or written)
   */
  @SuppressWarnings("try") // the lock is held for the block, never referenced
  public int prepare(String domain, List<PciAddress> requested, Optional<PrintStream> dryRun) throws IOException {
    if (requested.isEmpty()) {
      log.say(domain + ": no managed PCI device to prepare");
      return OK;
    }
    if (dryRun.isPresent()) {
      Journal own = Journal.load(state, domain);
      Optional<Plan> plan = plan(domain, requested, own);
      if (plan.isEmpty()) {
        return FAILED;
      }
      if (!plan.get().toBind().isEmpty() && !Files.isDirectory(paths.pciDriver(VfioDrivers.VFIO_PCI))) {
        dryRun.get().println("modprobe " + VfioDrivers.VFIO_PCI);
      }
      Binder b = new Binder(paths, kernel.writes(), log, domain, dryRun);
      for (Plan.Member m : plan.get().toBind()) {
        b.bind(m.address(), m.group());
      }
      return OK;
    }
    try (StateLock lock = StateLock.acquire(state, domain, lockTimeout)) {
      Journal own = Journal.load(state, domain);
      Optional<Plan> plan = plan(domain, requested, own);
      return plan.isEmpty() ? FAILED : execute(plan.get(), own);
    } catch (StateLock.TimeoutException e) {
      log.say(domain + ": " + e.getMessage());
      return FAILED;
    }
  }

  private Optional<Plan> plan(String domain, List<PciAddress> requested, Journal own) throws IOException {
    List<Journal> others = new ArrayList<>();
    for (Journal j : Journal.all(state)) {
      if (!j.file().equals(own.file())) {
        others.add(j);
      }
    }
    try {
      return Optional.of(new Planner(paths).plan(domain, requested, own, others));
    } catch (RefusedException e) {
      for (Refusal r : e.refusals()) {
        log.say(domain + ": refused " + r.line());
      }
      log.say(domain + ": nothing was changed");
      return Optional.empty();
    }
  }

  /** One change this call made, and how it is undone. */
  private sealed interface Change {}

  /** A device moved to vfio-pci: given back what its journal entry says it had. */
  private record Bound(JournalEntry entry) implements Change {}

  /** A {@code /dev/vfio} node that was there before this call, given a new group or mode. */
  private record NodeChanged(DevVfio.Was was) implements Change {}

  /**
   * Carries out a plan group by group, in the plan's order: each member of a group to vfio-pci
   * (journaled before its first write), then the group's {@code /dev/vfio} node, then the next
   * group. Every change is recorded as it is made; on a failure they are undone last first.
   */
  private int execute(Plan plan, Journal own) throws IOException {
    String domain = plan.domain();
    Binder binder = new Binder(paths, kernel.writes(), log, domain, Optional.empty());
    DevVfio dev = new DevVfio(paths, log, domain);
    List<Change> changes = new ArrayList<>();
    List<PciAddress> added = new ArrayList<>();
    try {
      if (!plan.toBind().isEmpty()) {
        loadVfioPci(domain);
      }
      for (var group : plan.byGroup().entrySet()) {
        boolean nodeWasThere = Files.exists(paths.devVfioGroup(group.getKey()));
        for (Plan.Member m : group.getValue()) {
          Optional<JournalEntry> had = own.find(m.address());
          switch (m.action()) {
            case BRIDGE, ALREADY_BOUND -> {}
            case KEEP -> {
              if (had.isEmpty()) {
                added.add(m.address());
                own.put(new JournalEntry(m.address(), m.group(), false, m.driver(), m.override()));
                log.action(domain, m.address() + ": held as it is (" + m.driver().orElse("unbound") + ")");
              }
            }
            case BIND -> {
              // a device an earlier prepare bound keeps the original state that prepare saw
              JournalEntry e = had.filter(JournalEntry::bound)
                  .orElse(new JournalEntry(m.address(), m.group(), true, m.driver(), m.override()));
              if (had.isEmpty()) {
                added.add(m.address());
              }
              own.put(e);
              changes.add(new Bound(e));
              binder.bind(m.address(), m.group());
            }
          }
        }
        if (group.getValue().stream().anyMatch(m -> m.action() != Plan.Action.BRIDGE)) {
          // a node this call made goes with the group's last vfio-pci device; one that was there is put back
          dev.ensure(group.getKey(), was -> {
            if (nodeWasThere) {
              changes.add(new NodeChanged(was));
            }
          });
        }
      }
    } catch (IOException failure) {
      log.say(domain + ": failed: " + IoFailure.describe(failure));
      rollback(domain, own, changes, added, failure);
      return FAILED;
    }
    if (changes.stream().anyMatch(c -> c instanceof Bound)) {
      new MonitorSignal(paths, kernel.signals(), log).send(domain);
    }
    log.action(domain, "prepared " + plan.members().stream().filter(m -> m.requested()).map(m -> m.address().toString()).toList()
        + " with IOMMU group(s) " + plan.groups());
    return OK;
  }

  private void loadVfioPci(String domain) throws IOException {
    if (Files.isDirectory(paths.pciDriver(VfioDrivers.VFIO_PCI))) {
      return;
    }
    log.action(domain, "loading vfio-pci (modprobe vfio-pci)");
    kernel.modules().load(VfioDrivers.VFIO_PCI);
    if (!Files.isDirectory(paths.pciDriver(VfioDrivers.VFIO_PCI))) {
      throw new IOException(paths.pciDriver(VfioDrivers.VFIO_PCI) + " is missing after modprobe vfio-pci"
          + "; fix: check that the kernel has vfio-pci ('modinfo vfio-pci') and 'dmesg'");
    }
  }

  /**
   * Undoes this call's changes, last first, and only those: devices and nodes that were as wanted
   * before stay as they are. What cannot be undone stays in the journal for release.
   */
  private void rollback(String domain, Journal own, List<Change> changes, List<PciAddress> added, IOException failure)
      throws IOException {
    Set<PciAddress> left = new TreeSet<>();
    List<Change> undo = new ArrayList<>(changes);
    Collections.reverse(undo);
    Binder binder = new Binder(paths, kernel.writes(), log, domain, Optional.empty());
    DevVfio dev = new DevVfio(paths, log, domain);
    boolean restored = false;
    for (Change c : undo) {
      if (c instanceof NodeChanged n) {
        try {
          dev.restore(n.was());
        } catch (IOException x) {
          log.say(domain + ": rollback failed: " + IoFailure.describe(x));
        }
        continue;
      }
      JournalEntry e = ((Bound) c).entry();
      if (failure instanceof DeviceHungException h && h.device().equals(e.address())) {
        log.say(domain + ": " + e.address() + " left as it is until the hung write returns; it stays in " + own.file());
        left.add(e.address());
        continue;
      }
      try {
        log.action(domain, "rolling back " + e.address());
        binder.restore(e);
        restored = true;
      } catch (IOException x) {
        log.say(domain + ": rollback failed: " + IoFailure.describe(x));
        left.add(e.address());
      }
    }
    for (PciAddress a : added) {
      if (!left.contains(a)) {
        own.remove(a);
      }
    }
    if (!left.isEmpty()) {
      log.say(domain + ": not restored: " + left + "; once fixed, run: one-pci vfio release --domain " + domain);
    } else if (restored) {
      new MonitorSignal(paths, kernel.signals(), log).send(domain);
    }
  }

  /**
   * Gives back what the domain's journal says prepare took, last first; keeps going past a failing
   * device and reports every failure.
   *
   * @param only restrict to the IOMMU groups of these addresses (empty: everything)
   */
  @SuppressWarnings("try") // the lock is held for the block, never referenced
  public int release(String domain, List<PciAddress> only, Optional<PrintStream> dryRun) throws IOException {
    if (dryRun.isPresent()) {
      return release(domain, only, dryRun, Journal.load(state, domain));
    }
    try (StateLock lock = StateLock.acquire(state, domain, lockTimeout)) {
      return release(domain, only, dryRun, Journal.load(state, domain));
    } catch (StateLock.TimeoutException e) {
      log.say(domain + ": " + e.getMessage());
      return FAILED;
    }
  }

  private int release(String domain, List<PciAddress> only, Optional<PrintStream> dryRun, Journal j) throws IOException {
    if (j.isEmpty()) {
      log.say(domain + ": holds no devices; nothing to release");
      return OK;
    }
    Set<Integer> groups = new TreeSet<>();
    for (PciAddress a : only) {
      Optional<JournalEntry> e = j.find(a);
      if (e.isEmpty()) {
        log.say(domain + ": " + a + " is not held by this domain; nothing to release for it");
      } else {
        groups.add(e.get().group());
      }
    }
    if (!only.isEmpty() && groups.isEmpty()) {
      return OK;
    }
    List<JournalEntry> entries = new ArrayList<>(j.entries());
    Collections.reverse(entries);
    Binder binder = new Binder(paths, kernel.writes(), log, domain, dryRun);
    List<String> failures = new ArrayList<>();
    boolean restored = false;
    for (JournalEntry e : entries) {
      if (!groups.isEmpty() && !groups.contains(e.group())) {
        continue;
      }
      try {
        if (e.bound()) {
          binder.restore(e);
          restored = true;
        }
        if (dryRun.isEmpty()) {
          j.remove(e.address());
        }
      } catch (IOException x) {
        failures.add(IoFailure.describe(x));
      }
    }
    if (dryRun.isPresent()) {
      return OK;
    }
    if (restored) {
      new MonitorSignal(paths, kernel.signals(), log).send(domain);
    }
    if (!failures.isEmpty()) {
      for (String f : failures) {
        log.say(domain + ": release failed: " + f);
      }
      log.say(domain + ": " + failures.size() + " device(s) not restored; they stay in " + j.file()
          + "; once fixed, run: one-pci vfio release --domain " + domain);
      return FAILED;
    }
    log.action(domain, "released");
    return OK;
  }
}
