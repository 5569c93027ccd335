package onepci.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import onepci.conf.ConfigException;
import onepci.conf.IdFilter;
import onepci.conf.PciConf;
import onepci.one.CompressedSize;
import onepci.one.TemplateVector;
import onepci.pciids.PciIdsDatabase;
import onepci.pciids.PciNameSources;
import onepci.probe.PciProbe;
import onepci.sysfs.HostPaths;

/** {@code probe}: prints the host's PCI devices as OpenNebula's monitor expects them. */
final class ProbeCommand implements Command {

  /** The probe's options, parsed apart from running. */
  record Options(Optional<Path> config, Optional<String> filter, Path root, Optional<Path> pciIds, Optional<Path> hwdb) {

    static Options parse(List<String> argv) throws UsageException {
      Optional<Path> config = Optional.empty();
      Optional<String> filter = Optional.empty();
      Path root = HostPaths.real().root();
      Optional<Path> pciIds = Optional.empty();
      Optional<Path> hwdb = Optional.empty();
      Args a = Args.of("probe", argv);
      while (a.hasNext()) {
        String w = a.next();
        switch (w) {
          case "--config" -> config = Optional.of(Path.of(a.value(w)));
          case "--filter" -> filter = Optional.of(a.value(w));
          case "--sysfs-root" -> root = Path.of(a.value(w));
          case "--pci-ids" -> pciIds = Optional.of(Path.of(a.value(w)));
          case "--hwdb" -> hwdb = Optional.of(Path.of(a.value(w)));
          default -> throw Args.unknown("probe", w, List.of("--config", "--filter", "--sysfs-root", "--pci-ids", "--hwdb"));
        }
      }
      return new Options(config, filter, root, pciIds, hwdb);
    }
  }

  @Override
  public String synopsis() {
    return "probe [--config FILE] [--filter SPEC] [--sysfs-root DIR] [--pci-ids FILE] [--hwdb FILE]";
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    HostPaths paths = new HostPaths(o.root());
    try {
      PciConf conf = o.config().isPresent() ? PciConf.load(o.config().get()) : PciConf.defaults();
      if (o.filter().isPresent()) {
        conf = conf.withFilters(PciConf.filters(Path.of("--filter"), o.filter().get()));
      }
      conf.warnings().forEach(w -> io.err().println("one-pci probe: warning: " + w));

      PciNameSources names = new PciNameSources(pciIds(o, paths, io), hwdbCandidates(o, paths));
      List<String> warnings = new ArrayList<>();
      List<TemplateVector> vectors = new PciProbe(paths, conf, names, warnings::add).run();
      byte[] report = PciProbe.format(vectors).getBytes(StandardCharsets.UTF_8);
      io.out().write(report, 0, report.length);
      io.out().flush();
      warnings.forEach(w -> io.err().println("one-pci probe: warning: " + w));
      if (CompressedSize.exceeds(report, CompressedSize.WARN_BYTES)) {
        io.err().println(
            "one-pci probe: warning: the report of " + vectors.size() + " devices is over "
                + CompressedSize.WARN_BYTES / 1024 + " KiB compressed, and OpenNebula sends the output of all probes "
                + "in one message of at most 64 KiB; narrow :filter: (or set :short_address:) in pci.conf "
                + "to the devices VMs are given");
      }
      return Main.EXIT_OK;
    } catch (ConfigException e) {
      io.err().println("one-pci probe: " + e.getMessage());
      return Main.EXIT_FAILURE;
    } catch (IOException e) {
      io.err().println("one-pci probe: cannot report PCI devices: " + describe(e));
      return Main.EXIT_FAILURE;
    }
  }

  private static Optional<PciIdsDatabase> pciIds(Options o, HostPaths paths, Io io) throws IOException {
    if (o.pciIds().isPresent()) {
      Path p = o.pciIds().get();
      if (!Files.isReadable(p)) {
        throw new IOException(p + ": --pci-ids names a file that does not exist or cannot be read");
      }
      return Optional.of(new PciIdsDatabase(p));
    }
    Optional<PciIdsDatabase> found = PciIdsDatabase.find(paths);
    if (found.isEmpty()) {
      io.err().println(
          "one-pci probe: warning: no pci.ids found (install the pci.ids or hwdata package); names come from udev's hardware"
              + " database alone");
    }
    return found;
  }

  /** Where hwdb.bin is looked for: the named file, else sd-hwdb's places under the root, then on this host. */
  private static List<Path> hwdbCandidates(Options o, HostPaths paths) throws IOException {
    if (o.hwdb().isPresent()) {
      Path p = o.hwdb().get();
      if (!Files.isReadable(p)) {
        throw new IOException(p + ": --hwdb names a file that does not exist or cannot be read");
      }
      return List.of(p);
    }
    return PciNameSources.hwdbPlaces(paths);
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return n.getFile() + (n.getReason() != null ? ": " + n.getReason() : ": no such file");
    }
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return a.getFile() + ": permission denied";
    }
    return e.getMessage();
  }
}
