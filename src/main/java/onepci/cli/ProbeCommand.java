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
import onepci.doctor.Readiness;
import onepci.io.IoFailure;
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
  public List<String> synopsis() {
    return List.of("probe [--config FILE] [--filter SPEC] [--sysfs-root DIR] [--pci-ids FILE] [--hwdb FILE]");
  }

  @Override
  public String help(List<String> args) {
    return "usage: one-pci " + synopsis().get(0) + "\n"
        + "\n"
        + "Prints this host's PCI devices as OpenNebula's monitor reads them: the stock pci.rb's\n"
        + "PCI = [ ... ] lines, plus IOMMU_GROUP, SUBSYSTEM_VENDOR/DEVICE, LOCAL_CPUS, MAX_LINK_SPEED/WIDTH,\n"
        + "then PCI_PASSTHROUGH (READY, PARTIAL, NOT_READY, NONE), PCI_PASSTHROUGH_ISSUES and\n"
        + "PCI_PASSTHROUGH_BLOCKED, judged by doctor's checks (off with :passthrough_readiness: false).\n"
        + "\n"
        + "  --config FILE     the pci.conf to read; without it nothing is selected (filter 0:0)\n"
        + "  --filter SPEC     replaces :filter: (10de:*, 10de:*:0302,15b3:*, *:* for every device)\n"
        + "  --sysfs-root DIR  a folder standing in for / (default /)\n"
        + "  --pci-ids FILE    the PCI ID database (default: pci.ids in the usual places)\n"
        + "  --hwdb FILE       udev's compiled hardware database, for names pci.ids lacks\n"
        + "\n"
        + "Exit status: 0 with the report, 1 when it would be wrong (invalid pci.conf, no device list),\n"
        + "64 for a wrong command line.\n";
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    HostPaths paths = new HostPaths(o.root());
    Optional<String> badRoot = SysfsRoot.problem(paths);
    if (badRoot.isPresent()) {
      io.err().println("one-pci probe: " + badRoot.get());
      return Main.EXIT_FAILURE;
    }
    try {
      PciConf conf = o.config().isPresent() ? PciConf.load(o.config().get()) : PciConf.defaults();
      if (o.filter().isPresent()) {
        conf = conf.withFilters(PciConf.filters(Path.of("--filter"), o.filter().get()));
      }
      conf.warnings().forEach(w -> io.err().println("one-pci probe: warning: " + w));

      PciNameSources names = new PciNameSources(pciIds(o, paths, io), hwdbCandidates(o, paths));
      List<String> warnings = new ArrayList<>();
      PciProbe.Report probed = new PciProbe(paths, conf, names, warnings::add).report();
      List<TemplateVector> vectors = probed.vectors();
      String text = PciProbe.format(vectors);
      if (conf.readiness()) {
        text += readiness(paths, o.config().orElse(paths.onePciConf()), conf, probed, warnings).format();
      }
      byte[] report = text.getBytes(StandardCharsets.UTF_8);
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
      frontEndCopy(o.config(), paths).ifPresent(
          f -> io.err().println(
              "one-pci probe: this is the host's copy: edit " + f + " on the front-end, then run 'onehost sync -f' there to push it"));
      return Main.EXIT_FAILURE;
    } catch (IOException e) {
      io.err().println("one-pci probe: cannot report PCI devices: " + IoFailure.describe(e));
      return Main.EXIT_FAILURE;
    }
  }

  /**
   * The host's passthrough readiness, judged on the devices just reported; UNKNOWN with the reason
   * when it cannot be worked out, never a failure of the probe (its report and exit status stand).
   */
  private static Readiness readiness(HostPaths paths, Path config, PciConf conf, PciProbe.Report probed, List<String> warnings) {
    try {
      return Readiness.of(paths, config, conf, probed.devices());
    } catch (RuntimeException e) {
      String reason =
          "readiness could not be worked out (" + (e.getMessage() == null ? "an internal error" : e.getMessage())
              + "); the PCI report is complete: run 'one-pci doctor' on this host";
      warnings.add(reason);
      return Readiness.unknown(reason);
    }
  }

  /**
   * The front-end file a host's synced pci.conf comes from: {@code <remotes>/etc/im/<probes>/pci.conf}
   * under {@code /var/tmp/one} is a copy of the same path under the front-end's remotes.
   */
  static Optional<Path> frontEndCopy(Optional<Path> config, HostPaths paths) {
    if (config.isEmpty()) {
      return Optional.empty();
    }
    Path synced = paths.oneRemotes().resolve("etc/im");
    Path c = config.get().toAbsolutePath().normalize();
    if (!c.startsWith(synced) || synced.relativize(c).getNameCount() != 2 || !c.getFileName().toString().equals("pci.conf")) {
      return Optional.empty();
    }
    return Optional.of(HostPaths.real().frontendRemotes().resolve("etc/im").resolve(synced.relativize(c)));
  }

  private static Optional<PciIdsDatabase> pciIds(Options o, HostPaths paths, Io io) throws IOException {
    if (o.pciIds().isPresent()) {
      Path p = o.pciIds().get();
      Optional<String> unreadable = IoFailure.unreadableFile(p);
      if (unreadable.isPresent()) {
        throw new IOException("--pci-ids " + unreadable.get());
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

}
