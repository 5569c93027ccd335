package onepci.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.template.BoardTemplate;
import onepci.template.DevicePlacement;
import onepci.template.DeviceSet;
import onepci.template.PinPolicy;
import onepci.template.TemplateException;
import onepci.template.VmTemplate;

/** {@code template}: prints an OpenNebula VM template for one PCI device of this host, several, or its whole HGX board. */
final class TemplateCommand implements Command {

  /**
   * @param addresses the devices, each once, in the order given; empty with {@code board}
   * @param config the probe's pci.conf (default: the one onehost sync put on the host)
   * @param readyHostsOnly whether the VM asks for a host whose probe says PCI_PASSTHROUGH = READY
   */
  record Options(List<PciAddress> addresses, boolean board, Path root, Optional<Path> config, OptionalInt vcpu, OptionalInt memoryMb, PinPolicy pin, boolean readyHostsOnly) {

    static Options parse(List<String> argv) throws UsageException {
      LinkedHashSet<PciAddress> addresses = new LinkedHashSet<>();
      boolean board = false;
      Optional<Path> config = Optional.empty();
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
          case "--config" -> config = Optional.of(Path.of(a.value(w)));
          case "--board" -> board = true;
          case "--any-host" -> readyHostsOnly = false;
          case "--vcpu" -> vcpu = OptionalInt.of(positive(w, a.value(w)));
          case "--memory" -> memory = OptionalInt.of(positive(w, a.value(w)));
          case "--pin" -> {
            String v = a.value(w);
            pin = PinPolicy.parse(v).orElseThrow(() -> new UsageException("template: --pin takes core or none, not '" + v + "'"));
          }
          default -> {
            if (w.startsWith("-")) {
              throw Args.unknown("template", w, List.of("--board", "--sysfs-root", "--config", "--vcpu", "--memory", "--pin", "--any-host"));
            }
            try {
              addresses.add(PciAddress.parse(w));
            } catch (IllegalArgumentException e) {
              throw new UsageException("template: " + e.getMessage());
            }
          }
        }
      }
      if (board && !addresses.isEmpty()) {
        throw new UsageException("template: --board takes no ADDRESS: it takes every NVIDIA GPU the probe offers and every NVSwitch");
      }
      if (addresses.isEmpty() && !board) {
        throw new UsageException("template: the PCI address of the device is missing (such as 0000:e1:00.0)");
      }
      return new Options(List.copyOf(addresses), board, root, config, vcpu, memory, pin, readyHostsOnly);
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
    return List.of("template ADDRESS...|--board [--sysfs-root DIR] [--config FILE] [--vcpu N] [--memory MB] [--pin core|none]");
  }

  @Override
  public String help(List<String> args) {
    return "usage: one-pci " + synopsis().get(0) + "\n"
        + "\n"
        + "Prints an OpenNebula VM template for the PCI device at ADDRESS (0000:e1:00.0 or e1:00.0), laid out\n"
        + "as NVIDIA's passthrough guide recommends: UEFI, q35, host-passthrough CPU, vCPUs sized to the\n"
        + "device's NUMA node, and a 64-bit PCI window big enough for its BARs.\n"
        + "\n"
        + "With several ADDRESSes, or --board (every NVIDIA GPU the probe offers and every NVSwitch: a whole HGX\n"
        + "board), one PCI per device, one socket per host NUMA node the devices sit on, and a window for all\n"
        + "their BARs; refused when a device is not offered by the probe, not passable, or shares its IOMMU\n"
        + "group with another one given.\n"
        + "\n"
        + "  --board           every NVIDIA GPU the probe offers and every NVSwitch, instead of ADDRESSes\n"
        + "  --sysfs-root DIR  a folder standing in for / (default /)\n"
        + "  --config FILE     the probe's pci.conf for several devices (default: the one onehost sync put here)\n"
        + "  --vcpu N          VCPU (default: the physical cores local to the device, shared among its peers)\n"
        + "  --memory MB       MEMORY (default " + VmTemplate.DEFAULT_MEMORY_MB + "); with several devices, per socket\n"
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
      String requirement = o.readyHostsOnly() ? "SCHED_REQUIREMENTS = \"PCI_PASSTHROUGH = READY\"\n" : "";
      if (o.addresses().size() == 1) {
        DevicePlacement p = DevicePlacement.read(paths, o.addresses().get(0));
        io.out().print(VmTemplate.plan(p, o.vcpu(), o.memoryMb(), o.pin()).render() + requirement);
        return Main.EXIT_OK;
      }
      DeviceSet set = DeviceSet.of(paths, o.config().orElse(paths.onePciConf()));
      List<PciAddress> wanted = o.board() ? set.board() : o.addresses().stream().sorted().toList();
      set.check(wanted);
      List<DevicePlacement> placements = new ArrayList<>();
      for (PciAddress a : wanted) {
        placements.add(DevicePlacement.read(paths, a));
      }
      String name = o.board() ? "pci-board" : "pci-" + wanted.get(0).shortAddress().replaceAll("[^0-9a-fA-F]", "-") + "-and-" + (wanted.size() - 1) + "-more";
      io.out().print(BoardTemplate.plan(placements, o.vcpu(), o.memoryMb(), o.pin()).render(name) + requirement);
      return Main.EXIT_OK;
    } catch (TemplateException e) {
      for (String line : e.getMessage().split("\n")) {
        io.err().println("one-pci template: " + line);
      }
      return Main.EXIT_FAILURE;
    }
  }
}
