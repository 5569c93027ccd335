package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import onepci.conf.IdFilter;
import onepci.conf.PciConf;

/**
 * The guide's "Monitoring PCI Devices" and what it leaves out: the probe's filter covers NVIDIA,
 * one-pci's probe runs instead of (not beside) the stock pci.rb, and Java is there to run it.
 */
final class ProbeChecks implements CheckGroup {

  static final String FILTER = "probe-filter";
  static final String STOCK = "stock-probe";
  static final String JAVA = "java";

  static final String PROBE = "pci-probe";
  static final String STOCK_PROBE = "pci.rb";

  private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"([0-9]+)[^\"]*\"");

  @Override
  public List<Check> run(HostState host) {
    return List.of(filter(host), stock(host), java(host));
  }

  /** Without the filter check: what the filter offers is what readiness judges, not a fault of the host. */
  @Override
  public List<Check> forReadiness(HostState host) {
    return List.of(stock(host), java(host));
  }

  private static Check filter(HostState host) {
    HostState.ProbeConfig config = host.config();
    if (config.unreadable()) {
      return Check.warn(
          FILTER, Check.HOST, config.problem().orElseThrow() + ": the filter is unknown; NVIDIA GPUs were examined anyway",
          Fixes.asRoot());
    }
    if (config.problem().isPresent()) {
      return Check.fail(
          FILTER, Check.HOST, config.problem().get() + "; the probe then reports no device", Fixes.probeFilter());
    }
    PciConf conf = config.conf();
    String filters = conf.filters().stream().map(IdFilter::text).reduce((a, b) -> a + "," + b).orElse("");
    String where = " in " + config.file();
    if (conf.shortAddresses().isEmpty() && conf.filters().stream().anyMatch(ProbeChecks::coversNvidia)) {
      return Check.pass(FILTER, Check.HOST, "filter '" + filters + "'" + where + " selects every NVIDIA device (10de:*)");
    }
    // a vGPU parent is left out by the vGPU rule, not by the filter: its VFs are what VMs get
    List<HostState.Examined> gpus =
        host.devices().stream().filter(e -> e.isNvidiaGpu() && !e.device().hasVirtfn()).toList();
    List<String> left = gpus.stream().filter(e -> !e.selected()).map(e -> e.address().toString()).toList();
    if (!gpus.isEmpty() && left.isEmpty()) {
      return Check.pass(
          FILTER, Check.HOST, "filter '" + filters + "'" + where + " selects every NVIDIA GPU on this host (" + gpus.size() + ")");
    }
    if (!gpus.isEmpty() && left.size() < gpus.size()) {
      return Check.warn(
          FILTER, Check.HOST, "filter '" + filters + "'" + where + " leaves out the NVIDIA GPUs " + String.join(", ", left),
          Fixes.probeFilter());
    }
    String which = gpus.isEmpty() ? "does not cover 10de:*" : "selects none of this host's NVIDIA GPUs (" + String.join(", ", left) + ")";
    return Check.fail(
        FILTER, Check.HOST, "filter '" + filters + "'" + where + " " + which + ": OpenNebula is offered no GPU",
        Fixes.probeFilter());
  }

  /** A filter that matches every device of vendor 10de. */
  private static boolean coversNvidia(IdFilter f) {
    return (f.vendor() < 0 || f.vendor() == HostState.NVIDIA) && f.device() < 0 && f.classId() < 0 && f.progIf() < 0;
  }

  private static Check stock(HostState host) {
    Path dir = host.paths().oneSystemProbes();
    if (!Files.isDirectory(dir)) {
      return Check.warn(
          STOCK, Check.HOST, "no OpenNebula probes in " + dir + ": this host has not been synced from the front-end",
          Fixes.hostSync());
    }
    Path ours = dir.resolve(PROBE);
    Path stock = dir.resolve(STOCK_PROBE);
    boolean oursRuns = Files.isRegularFile(ours) && Files.isExecutable(ours);
    boolean stockRuns = Files.isRegularFile(stock) && Files.isExecutable(stock);
    if (oursRuns && stockRuns) {
      return Check.fail(
          STOCK, Check.HOST,
          stock + " and " + ours + " are both executable: two reports of the same PCI devices corrupt the host's device list",
          Fixes.frontendInstall());
    }
    if (oursRuns) {
      return Check.pass(STOCK, Check.HOST, ours + " runs and the stock " + STOCK_PROBE + " does not");
    }
    String state = Files.exists(ours) ? ours + " is not executable" : "no " + ours;
    return Check.warn(
        STOCK, Check.HOST,
        state + (stockRuns ? ": OpenNebula runs the stock " + STOCK_PROBE + " (no IOMMU groups, no NVIDIA names)" : ": no probe reports PCI devices"),
        Fixes.frontendInstall());
  }

  /** Java 17 or newer, as the launcher and the libvirt hook look for it. */
  private static Check java(HostState host) {
    Path jvms = host.paths().jvms();
    List<String> older = new ArrayList<>();
    String[] names = jvms.toFile().list();
    if (names != null) {
      Arrays.sort(names);
      for (String n : names) {
        Path home = jvms.resolve(n);
        Path java = home.resolve("bin/java");
        if (!Files.isExecutable(java) || Files.isSymbolicLink(home)) {
          continue;
        }
        Optional<Integer> major = major(home);
        if (major.isPresent() && major.get() >= 17) {
          return Check.pass(JAVA, Check.HOST, "Java " + major.get() + " at " + java);
        }
        major.ifPresent(m -> older.add("Java " + m + " at " + java));
      }
    }
    if (host.paths().isRealRoot()) {
      // This very process is a Java 17 or newer, wherever it was found.
      return Check.pass(
          JAVA, Check.HOST, "Java " + Runtime.version().feature() + " at " + Path.of(System.getProperty("java.home"), "bin", "java"));
    }
    String found = older.isEmpty() ? "" : " (found only " + String.join(", ", older) + ")";
    return Check.fail(
        JAVA, Check.HOST,
        "no Java 17 or newer in " + jvms + found + ": the probe falls back to the stock one and the libvirt hook cannot bind devices",
        Fixes.java());
  }

  private static Optional<Integer> major(Path home) {
    if (FileRead.of(home.resolve("release")) instanceof FileRead.Text t) {
      Matcher m = JAVA_VERSION.matcher(t.text());
      if (m.find()) {
        return Optional.of(Integer.parseInt(m.group(1)));
      }
    }
    return Optional.empty();
  }
}
