package onepci.doctor;

import java.util.List;

/** A group of related checks, run together against one read of the host. */
sealed interface CheckGroup
    permits IommuChecks, VfioModuleChecks, DeviceChecks, FabricManagerCheck, DevVfioChecks, ProbeChecks, LibvirtHookCheck, HookJarCheck {

  /** The group's checks, in a fixed order. */
  List<Check> run(HostState host);

  /** The checks that say whether the offered devices can be passed through now ({@link Readiness}): all of them, by default. */
  default List<Check> forReadiness(HostState host) {
    return run(host);
  }
}
