package onepci.vfio;

import java.io.IOException;
import java.time.Duration;
import onepci.sysfs.HostPaths;

/**
 * What the engine asks of the host's kernel: sysfs writes (each already bounded in time), module
 * loading and signals. Tests put a simulated kernel in its place.
 */
public record Kernel(KernelWrites writes, ModuleLoader modules, Signaller signals) {

  /** The real host: {@code dd} children bounded by {@code writeLimit}, {@code modprobe}, {@code kill}. */
  public static Kernel host(Duration writeLimit) {
    return new Kernel(new BoundedWrites(new ChildProcessWrites(), writeLimit), new Modprobe(Duration.ofSeconds(30)), new KillCommand());
  }

  /**
   * For a {@code --sysfs-root} that is not {@code /}: writes go to the files under it, but this
   * machine's modules and processes are not the tree's, so nothing is loaded and nobody signalled.
   */
  public static Kernel tree(Duration writeLimit, HostPaths paths) {
    return new Kernel(
        new BoundedWrites(new ChildProcessWrites(), writeLimit),
        module -> {
          throw new IOException(paths.pciDriver(module) + " is missing and modprobe runs only on the real root (/)"
              + "; fix: make the folder in the tree, or run without --sysfs-root");
        },
        pid -> {});
  }
}
