package onepci.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import onepci.io.IoFailure;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.vfio.ActionLog;
import onepci.vfio.DomainXml;
import onepci.vfio.Kernel;
import onepci.vfio.StateLock;
import onepci.vfio.VfioEngine;
import onepci.vfio.VfioStatus;

/**
 * {@code vfio prepare|release|status}: the libvirt hook's engine, and the same by hand.
 *
 * <p>Without {@code --domain} the devices are held under the domain name {@value #MANUAL}. release
 * gives back everything the domain's journal holds (the domain XML, which may have changed since
 * prepare, does not narrow it); ADDRESS arguments narrow it to their IOMMU groups.
 */
final class VfioCommand implements Command {

  static final String MANUAL = "manual";
  static final Duration DEFAULT_WRITE_LIMIT = Duration.ofSeconds(30);

  /** The kernel for a write time limit and a root; the real host's unless a test says otherwise. */
  private final BiFunction<Duration, HostPaths, Kernel> kernel;
  private final Clock clock;

  VfioCommand() {
    this((limit, paths) -> paths.isRealRoot() ? Kernel.host(limit) : Kernel.tree(limit, paths), Clock.systemUTC());
  }

  VfioCommand(BiFunction<Duration, HostPaths, Kernel> kernel, Clock clock) {
    this.kernel = kernel;
    this.clock = clock;
  }

  record Options(
      String action, Optional<String> domain, Optional<String> xml, List<PciAddress> addresses, boolean dryRun, Path root,
      Duration writeLimit, Duration lockTimeout) {

    static Options parse(List<String> argv) throws UsageException {
      Args a = Args.of("vfio", argv);
      if (!a.hasNext()) {
        throw new UsageException("vfio: say prepare, release or status");
      }
      String action = a.next();
      if (!List.of("prepare", "release", "status").contains(action)) {
        throw new UsageException("vfio: unknown action '" + action + "' (known: prepare, release, status)");
      }
      Optional<String> domain = Optional.empty();
      Optional<String> xml = Optional.empty();
      List<PciAddress> addresses = new ArrayList<>();
      boolean dryRun = false;
      Path root = HostPaths.real().root();
      Duration limit = DEFAULT_WRITE_LIMIT;
      Duration lockTimeout = StateLock.DEFAULT_TIMEOUT;
      boolean status = action.equals("status");
      List<String> known = status ? List.of("--sysfs-root") : List.of("--domain", "--xml", "--dry-run", "--sysfs-root", "--write-timeout", "--lock-timeout");
      while (a.hasNext()) {
        String w = a.next();
        if (w.equals("--sysfs-root")) {
          root = Path.of(a.value(w));
        } else if (status) {
          throw Args.unknown("vfio status", w, known);
        } else if (w.equals("--domain")) {
          domain = Optional.of(a.value(w));
        } else if (w.equals("--xml")) {
          xml = Optional.of(a.value(w));
        } else if (w.equals("--dry-run")) {
          dryRun = true;
        } else if (w.equals("--write-timeout")) {
          limit = seconds(w, a.value(w));
        } else if (w.equals("--lock-timeout")) {
          lockTimeout = seconds(w, a.value(w));
        } else if (!w.startsWith("-")) {
          try {
            addresses.add(PciAddress.parse(w));
          } catch (IllegalArgumentException e) {
            throw new UsageException("vfio: " + e.getMessage());
          }
        } else {
          throw Args.unknown("vfio " + action, w, known);
        }
      }
      if (!status && xml.isEmpty() && addresses.isEmpty() && !(action.equals("release") && domain.isPresent())) {
        throw new UsageException("vfio " + action + ": name the devices (ADDRESS... or --xml FILE|-)"
            + (action.equals("release") ? " or the --domain" : ""));
      }
      return new Options(action, domain, xml, List.copyOf(addresses), dryRun, root, limit, lockTimeout);
    }

    private static Duration seconds(String option, String v) throws UsageException {
      try {
        double s = Double.parseDouble(v);
        if (s <= 0) {
          throw new NumberFormatException();
        }
        return Duration.ofMillis((long) (s * 1000));
      } catch (NumberFormatException e) {
        throw new UsageException("vfio: " + option + " wants a positive number of seconds, not '" + v + "'");
      }
    }
  }

  private static final String PREPARE_RELEASE =
      "vfio prepare|release [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR] [--write-timeout SECONDS] [--lock-timeout SECONDS]";
  private static final String STATUS = "vfio status [--sysfs-root DIR]";

  @Override
  public List<String> synopsis() {
    return List.of(PREPARE_RELEASE, STATUS);
  }

  @Override
  public String help(List<String> args) {
    String action = args.isEmpty() ? "" : args.get(0);
    String prepareRelease =
        "  --domain NAME            the libvirt domain the devices are held for (default " + MANUAL + ")\n"
            + "  --xml FILE|-             the domain XML (- for stdin): its managed='yes' PCI hostdevs\n"
            + "  ADDRESS...               devices by PCI address (0000:e1:00.0); release: narrows to their groups\n"
            + "  --dry-run                print the sysfs writes as shell lines, change nothing\n"
            + "  --sysfs-root DIR         a folder standing in for / (default /)\n"
            + "  --write-timeout SECONDS  the limit on each sysfs write (default " + DEFAULT_WRITE_LIMIT.toSeconds() + ")\n"
            + "  --lock-timeout SECONDS   how long to wait for another one-pci call's lock (default 60)\n";
    String exit = "\nExit status: 0 done, 1 refused or failed (the reason and the fix on stderr), 64 for a wrong\ncommand line.\n";
    return switch (action) {
      case "prepare" -> "usage: one-pci vfio prepare [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR]"
          + " [--write-timeout SECONDS] [--lock-timeout SECONDS]\n\n"
          + "Binds the devices, with the rest of their IOMMU groups, to vfio-pci, as the libvirt hook does\n"
          + "before a VM starts. Plans first and changes nothing unless every device can be given.\n\n"
          + prepareRelease + exit;
      case "release" -> "usage: one-pci vfio release [--domain NAME] [--xml FILE|-] [ADDRESS...] [--dry-run] [--sysfs-root DIR]"
          + " [--write-timeout SECONDS] [--lock-timeout SECONDS]\n\n"
          + "Gives back everything the domain's journal holds to the drivers they had, as the libvirt hook\n"
          + "does after a VM stops.\n\n"
          + prepareRelease + exit;
      case "status" -> "usage: one-pci " + STATUS + "\n\n"
          + "Lists every device on vfio-pci or held by a domain: its IOMMU group, driver, domain and the driver\n"
          + "release gives it back to.\n\n"
          + "  --sysfs-root DIR  a folder standing in for / (default /)\n"
          + "\nExit status: 0 listed, 1 when the host cannot be read, 64 for a wrong command line.\n";
      default -> "usage: one-pci " + PREPARE_RELEASE + "\n       one-pci " + STATUS + "\n\n"
          + "Moves PCI devices, with their IOMMU groups, to vfio-pci and back: what the libvirt hook runs.\n\n"
          + "  prepare  bind the devices to vfio-pci (one-pci vfio prepare --help)\n"
          + "  release  give them back (one-pci vfio release --help)\n"
          + "  status   list what is on vfio-pci (one-pci vfio status --help)\n";
    };
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    HostPaths paths = new HostPaths(o.root());
    Optional<String> badRoot = SysfsRoot.problem(paths);
    if (badRoot.isPresent()) {
      io.err().println("one-pci vfio: " + badRoot.get());
      return Main.EXIT_FAILURE;
    }
    try {
      if (o.action().equals("status")) {
        new VfioStatus(paths).print(io.out());
        return Main.EXIT_OK;
      }
      String domain = o.domain().orElse(MANUAL);
      List<PciAddress> devices = new ArrayList<>(o.addresses());
      if (o.xml().isPresent()) {
        DomainXml x = domainXml(o.xml().get(), io.in());
        devices.addAll(x.managed());
        for (PciAddress u : x.unmanaged()) {
          io.err().println("one-pci vfio: " + domain + ": " + u + " is managed='no': left to whoever manages it");
        }
      }
      ActionLog log = new ActionLog(VfioEngine.logFile(paths), io.err(), clock);
      VfioEngine engine = new VfioEngine(paths, kernel.apply(o.writeLimit(), paths), log, o.lockTimeout());
      Optional<java.io.PrintStream> dry = o.dryRun() ? Optional.of(io.out()) : Optional.empty();
      // release gives back all the domain holds; only addresses named on the command line narrow it
      return o.action().equals("prepare") ? engine.prepare(domain, devices, dry) : engine.release(domain, o.addresses(), dry);
    } catch (IOException e) {
      io.err().println("one-pci vfio: " + IoFailure.describe(e));
      return Main.EXIT_FAILURE;
    }
  }

  private static DomainXml domainXml(String xml, InputStream stdin) throws IOException {
    if (xml.equals("-")) {
      return DomainXml.parse(stdin, "domain XML on stdin");
    }
    Path p = Path.of(xml);
    Optional<String> unreadable = IoFailure.unreadableFile(p);
    if (unreadable.isPresent()) {
      throw new IOException("--xml " + unreadable.get());
    }
    try (InputStream in = Files.newInputStream(p)) {
      return DomainXml.parse(in, p.toString());
    }
  }
}
