package onepci.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import onepci.doctor.Check;
import onepci.doctor.Doctor;
import onepci.doctor.HostState;
import onepci.doctor.HostSummary;
import onepci.doctor.JsonReport;
import onepci.doctor.TextReport;
import onepci.sysfs.HostPaths;

/** {@code doctor}: checks this host against the GPU passthrough guide; exit 0 all pass, 1 warning, 2 failure. */
final class DoctorCommand implements Command {

  record Options(boolean json, Path root, Optional<Path> config) {

    static Options parse(List<String> argv) throws UsageException {
      boolean json = false;
      Path root = HostPaths.real().root();
      Optional<Path> config = Optional.empty();
      Args a = Args.of("doctor", argv);
      while (a.hasNext()) {
        String w = a.next();
        switch (w) {
          case "--json" -> json = true;
          case "--sysfs-root" -> root = Path.of(a.value(w));
          case "--config" -> config = Optional.of(Path.of(a.value(w)));
          default -> throw Args.unknown("doctor", w, List.of("--json", "--sysfs-root", "--config"));
        }
      }
      return new Options(json, root, config);
    }
  }

  @Override
  public List<String> synopsis() {
    return List.of("doctor [--json] [--sysfs-root DIR] [--config FILE]");
  }

  @Override
  public String help(List<String> args) {
    return "usage: one-pci " + synopsis().get(0) + "\n"
        + "\n"
        + "Checks this KVM host against NVIDIA's GPU passthrough guide (IOMMU, kernel command line, vfio-pci,\n"
        + "drivers, IOMMU groups, /dev/vfio, udev, the probe and its pci.conf, Java, the libvirt hook), and\n"
        + "prints the fix for each warning and failure. It only reads.\n"
        + "\n"
        + "  --json            one line of JSON instead of the table\n"
        + "  --sysfs-root DIR  a folder standing in for / (default /)\n"
        + "  --config FILE     the pci.conf to judge (default: the one onehost sync put on this host)\n"
        + "\n"
        + "Exit status: 0 every check passed, 1 a warning (or no host to read), 2 a failure, 64 for a wrong\n"
        + "command line.\n";
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    Optional<String> badRoot = SysfsRoot.problem(new HostPaths(o.root()));
    if (badRoot.isPresent()) {
      io.err().println("one-pci doctor: " + badRoot.get());
      return Main.EXIT_FAILURE;
    }
    HostState host = HostState.read(new HostPaths(o.root()), o.config());
    List<Check> checks = Doctor.run(host);
    HostSummary summary = HostSummary.of(host);
    // https://no-color.org: any non-empty NO_COLOR turns colour off, even on a terminal
    boolean colour = io.terminal() && io.env().getOrDefault("NO_COLOR", "").isEmpty();
    io.out().print(o.json() ? JsonReport.render(summary, checks) : TextReport.render(summary, checks, colour));
    io.out().flush();
    return Doctor.exitStatus(checks);
  }
}
