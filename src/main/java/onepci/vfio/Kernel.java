package onepci.vfio;

import java.time.Duration;

/**
 * What the engine asks of the host's kernel: sysfs writes (each already bounded in time), module
 * loading and signals. Tests put a simulated kernel in its place.
 */
public record Kernel(KernelWrites writes, ModuleLoader modules, Signaller signals) {

  /** The real host: {@code dd} children bounded by {@code writeLimit}, {@code modprobe}, {@code kill}. */
  public static Kernel host(Duration writeLimit) {
    return new Kernel(new BoundedWrites(new ChildProcessWrites(), writeLimit), new Modprobe(Duration.ofSeconds(30)), new KillCommand());
  }
}
