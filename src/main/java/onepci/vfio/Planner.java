package onepci.vfio;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import onepci.io.IoFailure;
import onepci.sysfs.DeviceReadException;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SysfsReader;

/**
 * Checks every requested device and every member of its IOMMU group, and either returns the
 * {@link Plan} or refuses with every reason found. Reads only; touches nothing.
 */
public final class Planner {

  private static final String IOMMU_FIX =
      "enable VT-d (Intel) or AMD-Vi (AMD) in the firmware and boot with intel_iommu=on iommu=pt (amd_iommu=on on AMD)";

  private final HostPaths paths;
  private final SysfsReader reader;
  /** Whether every plan reads the host's tables once between them (previews of one moment). */
  private final boolean oneReadOfTheHost;
  private HostUsage usage;

  public Planner(HostPaths paths) {
    this(paths, false);
  }

  private Planner(HostPaths paths, boolean oneReadOfTheHost) {
    this.paths = paths;
    this.reader = new SysfsReader(paths);
    this.oneReadOfTheHost = oneReadOfTheHost;
  }

  /**
   * A planner for many {@link #preview}s of the host as it is now: the mount table, swap list,
   * routes and console are read once for all of them (prepare reads them at every plan).
   */
  public static Planner forPreviews(HostPaths paths) {
    return new Planner(paths, true);
  }

  private HostUsage usage() {
    if (!oneReadOfTheHost) {
      return new HostUsage(paths, reader);
    }
    if (usage == null) {
      usage = new HostUsage(paths, reader);
    }
    return usage;
  }

  /**
   * @param own this domain's journal (devices an earlier prepare already took)
   * @param others every other domain's journal (devices they hold)
   */
  public Plan plan(String domain, List<PciAddress> requested, Journal own, List<Journal> others) throws RefusedException {
    List<Refusal> refusals = new ArrayList<>();
    Set<PciAddress> wanted = new LinkedHashSet<>(requested);
    HostUsage usage = usage();
    // groups in the order the domain first names a device of them: the order they are bound in
    LinkedHashMap<Integer, List<PciAddress>> groups = new LinkedHashMap<>();
    for (PciAddress a : wanted) {
      Optional<Integer> g = groupOf(a, refusals);
      if (g.isPresent()) {
        List<PciAddress> inGroup = groups.get(g.get());
        if (inGroup == null) {
          inGroup = new ArrayList<>();
          groups.put(g.get(), inGroup);
        }
        inGroup.add(a);
      } else if (Files.isDirectory(paths.pciDevice(a))) {
        // without a group, still say what the host needs it for: that is the refusal that stays
        Optional<PciDevice> d = readable(a);
        if (d.isPresent()) {
          refusals.addAll(usage.check(d.get()));
        }
      }
    }
    List<Plan.Member> members = new ArrayList<>();
    for (var g : groups.entrySet()) {
      List<PciAddress> all;
      try {
        all = reader.iommuGroupMembers(g.getKey());
      } catch (IOException e) {
        refusals.add(new Refusal(g.getValue().get(0), "IOMMU group " + g.getKey() + " cannot be read: " + IoFailure.describe(e), IOMMU_FIX));
        continue;
      }
      for (PciAddress m : new TreeSet<>(all)) {
        Optional<Plan.Member> x = member(m, g.getKey(), wanted.contains(m), own, others, usage, refusals);
        if (x.isPresent()) {
          members.add(x.get());
        }
      }
    }
    if (!refusals.isEmpty()) {
      throw new RefusedException(refusals);
    }
    return new Plan(domain, members);
  }

  /**
   * What prepare would do now if a domain that holds nothing yet asked for these devices: the
   * same rules as {@link #plan}, asked without a journal, without the lock and without changing
   * anything, for {@code doctor} and anyone else who wants to know before a VM starts. The answer
   * holds only until the host changes.
   *
   * @param others the journals of the domains whose devices count as taken (none: every device is
   *     judged as if free)
   */
  public Preview preview(List<PciAddress> requested, List<Journal> others) {
    try {
      return new Preview(plan(PREVIEW_DOMAIN, requested, Journal.unsaved(PREVIEW_DOMAIN), others).members(), List.of());
    } catch (RefusedException e) {
      return new Preview(List.of(), e.refusals());
    }
  }

  /** The name a {@link #preview} plans under; no journal of it is ever written. */
  static final String PREVIEW_DOMAIN = "preview";

  /**
   * What {@link #preview} found.
   *
   * @param members every member of the devices' IOMMU groups with what prepare would do to it,
   *     when it would go ahead (empty when it would refuse)
   * @param refusals every reason prepare would refuse, device by device (empty when it would go ahead)
   */
  public record Preview(List<Plan.Member> members, List<Refusal> refusals) {

    public Preview {
      members = List.copyOf(members);
      refusals = List.copyOf(refusals);
    }

    public boolean wouldPrepare() {
      return refusals.isEmpty();
    }

    /** The refusals about the device itself (not about its group siblings). */
    public List<Refusal> refusalsOf(PciAddress device) {
      List<Refusal> out = new ArrayList<>();
      for (Refusal r : refusals) {
        if (r.device().equals(device)) {
          out.add(r);
        }
      }
      return out;
    }
  }

  private Optional<Integer> groupOf(PciAddress a, List<Refusal> refusals) {
    if (!Files.isDirectory(paths.pciDevice(a))) {
      refusals.add(new Refusal(a, "no such PCI device on this host",
          "check the address with 'lspci -D'; the VM asks for a device this host does not have (wrong host or stale PCI entry)"));
      return Optional.empty();
    }
    var g = reader.iommuGroup(a);
    if (g.isEmpty()) {
      String[] any = paths.iommuGroups().toFile().list();
      refusals.add(new Refusal(a,
          any == null || any.length == 0 ? "the IOMMU is off (no IOMMU groups on this host)" : "has no IOMMU group",
          IOMMU_FIX));
      return Optional.empty();
    }
    return Optional.of(g.getAsInt());
  }

  private Optional<PciDevice> readable(PciAddress a) {
    try {
      return Optional.of(reader.read(a));
    } catch (DeviceReadException e) {
      return Optional.empty();
    }
  }

  private Optional<Plan.Member> member(
      PciAddress a, int group, boolean requested, Journal own, List<Journal> others, HostUsage usage, List<Refusal> refusals) {
    PciDevice d;
    try {
      d = reader.read(a);
    } catch (DeviceReadException e) {
      refusals.add(new Refusal(a, "cannot be read: " + e.getMessage(), "check that the device is present ('lspci -D -s " + a + "')"));
      return Optional.empty();
    }
    // the driver link, not uevent: it is what the kernel changes on bind and unbind
    Optional<String> driver = reader.linkName(a, "driver");
    String sibling = requested ? "" : " (in IOMMU group " + group + " with the requested device)";
    if (d.headerType().isEmpty()) {
      // fail closed: a port taken for an endpoint would be unbound from pcieport, an endpoint
      // taken for a bridge would be left to its host driver
      refusals.add(new Refusal(a,
          "cannot tell whether it is a bridge: the header type in " + paths.pciDevice(a).resolve("config")
              + " cannot be read, or is not 0, 1 or 2 (the device powered off or gone?)" + sibling,
          "check that the device answers ('lspci -D -s " + a + " -vv' as root), then start the VM again"));
      return Optional.empty();
    }
    if (d.isBridge()) {
      if (requested) {
        refusals.add(new Refusal(a, "is a PCI bridge or port, which cannot be passed through", "pass through the devices behind it instead"));
      }
      return Optional.of(new Plan.Member(a, group, Plan.Action.BRIDGE, driver, d.driverOverride(), requested));
    }
    for (Journal j : others) {
      if (j.find(a).isPresent()) {
        refusals.add(new Refusal(a, "is held by running domain " + j.domain() + sibling,
            "stop " + j.domain() + " first, or choose a device in another IOMMU group"));
        return Optional.empty();
      }
    }
    Plan.Action action;
    if (VfioDrivers.isVfio(driver)) {
      boolean ours = boundBy(own, a);
      action = ours ? Plan.Action.ALREADY_BOUND : Plan.Action.KEEP;
    } else if (driver.isEmpty() && !requested && !boundBy(own, a)) {
      // an unbound sibling stays unbound; one this domain's journal says prepare was binding (a
      // prepare cut off between its unbind and its probe) is bound, to finish that prepare
      action = Plan.Action.KEEP;
    } else {
      List<Refusal> host = usage.check(d);
      if (!host.isEmpty()) {
        for (Refusal r : host) {
          refusals.add(new Refusal(r.device(), r.reason() + sibling, r.fix()));
        }
        return Optional.empty();
      }
      action = Plan.Action.BIND;
    }
    return Optional.of(new Plan.Member(a, group, action, driver, d.driverOverride(), requested));
  }

  /** Whether this domain's journal says prepare bound (or was binding) this device. */
  private static boolean boundBy(Journal own, PciAddress a) {
    Optional<JournalEntry> e = own.find(a);
    return e.isPresent() && e.get().bound();
  }
}
