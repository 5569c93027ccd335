package onepci.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.template.DevicePlacement;
import onepci.template.PinPolicy;
import onepci.template.TemplateException;
import onepci.template.VmTemplate;

/** {@code template}: prints an OpenNebula VM template for one PCI device of this host. */
final class TemplateCommand implements Command {

  record Options(PciAddress address, Path root, OptionalInt vcpu, OptionalInt memoryMb, PinPolicy pin, boolean readyHostsOnly) {

    static Options parse(List<String> argv) throws UsageException {
      Optional<PciAddress> address = Optional.empty();
      Path root = HostPaths.real().root();
      OptionalInt vcpu = OptionalInt.empty();
      OptionalInt memory = OptionalInt.empty();
      PinPolicy pin = PinPolicy.CORE;
      boolean readyHostsOnly = true;
      Args a = Args.of("template", argv);
      while (a.hasNext()) {
        String w = a.next();
        switch (w) {
          case "--sysfs-root" -> root = Path.of(a.value(w));
          case "--any-host" -> readyHostsOnly = false;
          case "--vcpu" -> vcpu = OptionalInt.of(positive(w, a.value(w)));
          case "--memory" -> memory = OptionalInt.of(positive(w, a.value(w)));
          case "--pin" -> {
            String v = a.value(w);
            pin = PinPolicy.parse(v).orElseThrow(() -> new UsageException("template: --pin takes core or none, not '" + v + "'"));
          }
          default -> {
            if (w.startsWith("-") || address.isPresent()) {
              throw Args.unknown("template", w, List.of("--sysfs-root", "--vcpu", "--memory", "--pin", "--any-host"));
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
      return new Options(address.get(), root, vcpu, memory, pin, readyHostsOnly);
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
  public List<String> synopsis() {
    return List.of("template ADDRESS [--sysfs-root DIR] [--vcpu N] [--memory MB] [--pin core|none]");
  }

  @Override
  public String help(List<String> args) {
    return "usage: one-pci " + synopsis().get(0) + "\n"
        + "\n"
        + "Prints an OpenNebula VM template for the PCI device at ADDRESS (0000:e1:00.0 or e1:00.0), laid out\n"
        + "as NVIDIA's passthrough guide recommends: UEFI, q35, host-passthrough CPU, vCPUs sized to the\n"
        + "device's NUMA node, and a 64-bit PCI window big enough for its BARs.\n"
        + "\n"
        + "  --sysfs-root DIR  a folder standing in for / (default /)\n"
        + "  --vcpu N          VCPU (default: the physical cores local to the device, shared among its peers)\n"
        + "  --memory MB       MEMORY (default " + VmTemplate.DEFAULT_MEMORY_MB + ")\n"
        + "  --pin core|none   TOPOLOGY's PIN_POLICY (default core: a whole core per vCPU; the VM then runs\n"
        + "                    only on hosts with PIN_POLICY = PINNED, see onehost update); none: no pinning\n"
        + "  --any-host        no SCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\" (by default the VM waits,\n"
        + "                    PENDING, for a host whose probe says its offered devices can all be passed through)\n"
        + "\n"
        + "Exit status: 0 with the template, 1 when the device is not there or cannot be sized, 64 for a\n"
        + "wrong command line.\n";
  }

  @Override
  public int run(List<String> argv, Io io) throws UsageException {
    Options o = Options.parse(argv);
    HostPaths paths = new HostPaths(o.root());
    Optional<String> badRoot = SysfsRoot.problem(paths);
    if (badRoot.isPresent()) {
      io.err().println("one-pci template: " + badRoot.get());
      return Main.EXIT_FAILURE;
    }
    try {
      DevicePlacement p = DevicePlacement.read(paths, o.address());
      io.out().print(VmTemplate.plan(p, o.vcpu(), o.memoryMb(), o.pin()).render());
      io.out().print(o.readyHostsOnly() ? "SCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\"\n" : "");
      return Main.EXIT_OK;
    } catch (TemplateException e) {
      io.err().println("one-pci template: " + e.getMessage());
      return Main.EXIT_FAILURE;
    }
  }
}
