package onepci.doctor;

import java.util.ArrayList;
import java.util.List;

/** Runs every check against one read of the host, always in the same order. */
public final class Doctor {

  private static final List<CheckGroup> GROUPS =
      List.of(
          new IommuChecks(),
          new VfioModuleChecks(),
          new DeviceChecks(),
          new FabricManagerCheck(),
          new DevVfioChecks(),
          new ProbeChecks(),
          new LibvirtHookCheck(),
          new HookJarCheck());

  private Doctor() {}

  public static List<Check> run(HostState host) {
    Distro distro = Distro.of(host.paths());
    List<Check> out = new ArrayList<>();
    for (CheckGroup g : GROUPS) {
      for (Check c : g.run(host)) {
        // every fix that runs driverctl says first how to install it, where it is missing
        out.add(new Check(c.name(), c.status(), c.subject(), c.message(), Fixes.withDriverctl(c.fix(), host.paths(), distro)));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The checks that say whether the devices the probe offers can be passed through now, for
   * {@link Readiness}: each group's {@link CheckGroup#forReadiness}, in the same order.
   */
  static List<Check> forReadiness(HostState host) {
    List<Check> out = new ArrayList<>();
    for (CheckGroup g : GROUPS) {
      out.addAll(g.forReadiness(host));
    }
    return out;
  }

  /** 0 when every check passed, 1 when the worst is a warning, 2 when one failed. */
  public static int exitStatus(List<Check> checks) {
    Status worst = Status.PASS;
    for (Check c : checks) {
      if (c.status().compareTo(worst) > 0) {
        worst = c.status();
      }
    }
    return worst.ordinal();
  }
}
