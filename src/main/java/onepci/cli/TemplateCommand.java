package onepci.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.template.DevicePlacement;
import onepci.template.TemplateException;
import onepci.template.VmTemplate;

/** {@code template}: prints an OpenNebula VM template for one PCI device of this host. */
final class TemplateCommand implements Command {

  record Options(PciAddress address, Path root, OptionalInt vcpu, OptionalInt memoryMb) {

    static Options parse(List<String> argv) throws UsageException {
      Optional<PciAddress> address = Optional.empty();
      Path root = HostPaths.real().root();
      OptionalInt vcpu = OptionalInt.empty();
      OptionalInt memory = OptionalInt.empty();
      Args a = Args.of("template", argv);
      while (a.hasNext()) {
        String w = a.next();
        switch (w) {
          case "--sysfs-root" -> root = Path.of(a.value(w));
          case "--vcpu" -> vcpu = OptionalInt.of(positive(w, a.value(w)));
          case "--memory" -> memory = OptionalInt.of(positive(w, a.value(w)));
          default -> {
            if (w.startsWith("-") || address.isPresent()) {
              throw Args.unknown("template", w, List.of("--sysfs-root", "--vcpu", "--memory"));
            }
            try {
              address = Optional.of(PciAddress.parse(w));
            } catch (IllegalArgumentException e) {
              throw new UsageException("template: " + e.getMessage());
            }
          }
        }
      }
      if (address.isEmpty()) {
        throw new UsageException("template: the PCI address of the device is missing (such as 0000:e1:00.0)");
      }
      return new Options(address.get(), root, vcpu, memory);
    }

    private static int positive(String option, String value) throws UsageException {
      try {
        int n = Integer.parseInt(value);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new UsageException("template: " + option + " needs a whole number above 0, not '" + value + "'");
    }
  }

  @Override
  public String synopsis() {
    return "template ADDRESS [--sysfs-root DIR] [--vcpu N] [--memory MB]";
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    try {
      DevicePlacement p = DevicePlacement.read(new HostPaths(o.root()), o.address());
      io.out().print(VmTemplate.plan(p, o.vcpu(), o.memoryMb()).render());
      return Main.EXIT_OK;
    } catch (TemplateException e) {
      io.err().println("one-pci template: " + e.getMessage());
      return Main.EXIT_FAILURE;
    }
  }
}
