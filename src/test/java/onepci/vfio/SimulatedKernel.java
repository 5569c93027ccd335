package onepci.vfio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.SysfsReader;

/**
 * A test double for the kernel's PCI sysfs on a {@link onepci.testing.FakeSysfs} tree: writes to
 * {@code driver_override}, {@code drivers/X/unbind}, {@code drivers/X/bind} and
 * {@code drivers_probe} move the {@code driver} links as the kernel does; binding a group member to
 * vfio-pci makes {@code /dev/vfio/<group>}. Each device's own driver is the one it is bound to when
 * the simulation starts. It can be told to refuse or hang one step for one device.
 */
public final class SimulatedKernel {

  public enum Step { OVERRIDE, UNBIND, BIND, PROBE }

  private final Path root;
  private final HostPaths paths;
  private final SysfsReader reader;
  private final Map<PciAddress, String> native_ = new HashMap<>();
  private final List<String> writes = new ArrayList<>();
  private final List<Long> signalled = new ArrayList<>();
  private final Map<String, String> failures = new HashMap<>();
  private final Map<String, CountDownLatch> hangs = new HashMap<>();
  private volatile long delayMillis;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  SimulatedKernel(HostPaths paths) throws IOException {
    this.paths = paths;
    this.root = paths.root();
    this.reader = new SysfsReader(paths);
    for (PciAddress a : reader.list()) {
      reader.linkName(a, "driver").filter(d -> !d.equals(VfioDrivers.VFIO_PCI)).ifPresent(d -> native_.put(a, d));
    }
  }

  public Kernel kernel(java.time.Duration limit) {
    return new Kernel(new BoundedWrites(this::write, limit), this::modprobe, this::signal);
  }

  /** Every write so far, as {@code <file under the root> <- <value>}. */
  public synchronized List<String> writes() {
    return List.copyOf(writes);
  }

  synchronized List<Long> signalled() {
    return List.copyOf(signalled);
  }

  /** The next write of {@code step} for {@code address} fails with {@code errno}'s message. */
  synchronized SimulatedKernel failOn(Step step, String address, String message) {
    failures.put(step + " " + PciAddress.parse(address), message);
    return this;
  }

  /** Writes of {@code step} for {@code address} block until {@link #releaseHangs()}. */
  synchronized SimulatedKernel hangOn(Step step, String address) {
    hangs.put(step + " " + PciAddress.parse(address), new CountDownLatch(1));
    return this;
  }

  synchronized void releaseHangs() {
    hangs.values().forEach(CountDownLatch::countDown);
  }

  /** Every write takes this long: widens race windows for the concurrency tests. */
  void slow(long millis) {
    delayMillis = millis;
  }

  private void modprobe(String module) {
    synchronized (this) {
      writes.add("modprobe " + module);
    }
    mkdirs(paths.pciDriver(module));
  }

  private synchronized void signal(long pid) {
    signalled.add(pid);
  }

  /** Waits until no write is in progress (a released hang has finished). */
  void awaitIdle() {
    while (inFlight.get() > 0) {
      sleep(5);
    }
  }

  void write(Path file, String content) throws IOException {
    inFlight.incrementAndGet();
    try {
      doWrite(file, content);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void doWrite(Path file, String content) throws IOException {
    String rel = root.relativize(file).toString();
    String value = content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    Step step;
    PciAddress device;
    String driver = null;
    if (rel.startsWith("sys/bus/pci/devices/") && rel.endsWith("/driver_override")) {
      step = Step.OVERRIDE;
      device = PciAddress.parse(file.getParent().getFileName().toString());
    } else if (rel.equals("sys/bus/pci/drivers_probe")) {
      step = Step.PROBE;
      device = PciAddress.parse(value);
    } else if (rel.startsWith("sys/bus/pci/drivers/") && (rel.endsWith("/unbind") || rel.endsWith("/bind"))) {
      step = rel.endsWith("/unbind") ? Step.UNBIND : Step.BIND;
      device = PciAddress.parse(value);
      driver = file.getParent().getFileName().toString();
    } else {
      throw new IOException("simulated kernel: no such attribute " + rel);
    }
    CountDownLatch hang;
    synchronized (this) {
      writes.add(rel + " <- " + value);
      hang = hangs.get(step + " " + device);
    }
    if (hang != null) {
      // a real hung write ignores interrupts; the simulated one waits for the test to let it go
      boolean interrupted = false;
      while (true) {
        try {
          hang.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (delayMillis > 0) {
      sleep(delayMillis);
    }
    synchronized (this) {
      String failure = failures.remove(step + " " + device);
      if (failure != null) {
        throw new IOException(failure);
      }
      apply(step, device, driver, value, file);
    }
  }

  private void apply(Step step, PciAddress a, String driver, String value, Path file) throws IOException {
    if (!Files.isDirectory(paths.pciDevice(a))) {
      throw new IOException("No such device");
    }
    switch (step) {
      case OVERRIDE -> Files.writeString(file, (value.isEmpty() ? "(null)" : value) + "\n");
      case UNBIND -> {
        if (!current(a).equals(Optional.of(driver))) {
          throw new IOException("No such device");
        }
        unbind(a, driver);
      }
      case BIND -> {
        if (current(a).isPresent() || !allowed(a, driver)) {
          throw new IOException("No such device");
        }
        bind(a, driver);
      }
      case PROBE -> {
        if (current(a).isEmpty()) {
          Optional<String> override = reader.attribute(a, "driver_override").filter(o -> !o.equals("(null)"));
          Optional<String> d = override.isPresent() ? override : Optional.ofNullable(native_.get(a));
          if (d.isPresent() && Files.isDirectory(paths.pciDriver(d.get()))) {
            bind(a, d.get());
          }
        }
      }
    }
  }

  private boolean allowed(PciAddress a, String driver) {
    Optional<String> override = reader.attribute(a, "driver_override").filter(o -> !o.equals("(null)"));
    return override.map(driver::equals).orElse(driver.equals(native_.get(a)) || driver.equals(VfioDrivers.VFIO_PCI));
  }

  private Optional<String> current(PciAddress a) {
    return reader.linkName(a, "driver");
  }

  private void bind(PciAddress a, String driver) throws IOException {
    Path drv = paths.pciDriver(driver);
    Path dev = paths.pciDevice(a).toRealPath();
    Files.createSymbolicLink(drv.resolve(a.toString()), drv.relativize(dev));
    Files.createSymbolicLink(dev.resolve("driver"), dev.relativize(drv));
    if (driver.equals(VfioDrivers.VFIO_PCI)) {
      int g = reader.iommuGroup(a).orElseThrow();
      Path node = paths.devVfioGroup(g);
      if (!Files.exists(node)) {
        mkdirs(node.getParent());
        Files.writeString(node, "");
        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  private void unbind(PciAddress a, String driver) throws IOException {
    Files.delete(paths.pciDriver(driver).resolve(a.toString()));
    Files.delete(paths.pciDevice(a).resolve("driver"));
    if (driver.equals(VfioDrivers.VFIO_PCI)) {
      int g = reader.iommuGroup(a).orElseThrow();
      boolean others = reader.iommuGroupMembers(g).stream().anyMatch(m -> VfioDrivers.isVfio(current(m)));
      if (!others) {
        Files.deleteIfExists(paths.devVfioGroup(g));
      }
    }
  }

  private static void mkdirs(Path p) {
    try {
      Files.createDirectories(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
