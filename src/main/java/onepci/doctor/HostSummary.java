package onepci.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import onepci.pciids.PciIdsDatabase;
import onepci.pciids.PciNames;
import onepci.sysfs.PciBar;
import onepci.sysfs.PciDevice;
import onepci.sysfs.SriovRole;

/**
 * The host in one line, above the checks: its NVIDIA GPUs (physical functions, with their models
 * as pci.ids under the doctor's root names them, else their ids) and its IOMMU.
 *
 * @param gpuModels the model of each NVIDIA GPU, in address order
 * @param iommuGroups the number of IOMMU groups; -1 when the folder is missing, -2 when it cannot be listed
 * @param board on a host with NVSwitches (an HGX board), its GPUs per NUMA node, its NVSwitches and
 *     their 64-bit BARs' total, which a VM given all of them must map
 */
public record HostSummary(List<String> gpuModels, int iommuGroups, Path iommuGroupsDir, Optional<String> board) {

  public HostSummary {
    gpuModels = List.copyOf(gpuModels);
  }

  public static HostSummary of(HostState host) {
    List<PciDevice> gpus = new ArrayList<>();
    for (HostState.Examined e : host.devices()) {
      if (e.isNvidiaGpu() && !(e.device().sriov() instanceof SriovRole.VirtualFunction)) {
        gpus.add(e.device());
      }
    }
    PciNames names = names(host, gpus);
    List<String> models = new ArrayList<>();
    for (PciDevice d : gpus) {
      String name = names.device(d.vendor(), d.device());
      models.add(name.equals("Device") ? d.vendorHex() + ":" + d.deviceHex() : name);
    }
    Path dir = host.paths().iommuGroups();
    String[] groups = dir.toFile().list();
    int count = groups != null ? groups.length : Files.isDirectory(dir) ? -2 : -1;
    return new HostSummary(models, count, dir, board(host, gpus));
  }

  /** {@code 8 GPUs (4 on NUMA node 0, 4 on NUMA node 1), 4 NVSwitches, 64-bit BARs 1049088 MiB}; empty without NVSwitches. */
  private static Optional<String> board(HostState host, List<PciDevice> gpus) {
    List<PciDevice> switches = host.devices().stream().filter(HostState.Examined::isNvSwitch).map(HostState.Examined::device).toList();
    if (switches.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Integer> perNode = new java.util.TreeMap<>();
    for (PciDevice d : gpus) {
      perNode.merge(d.numaNode().isPresent() ? "NUMA node " + d.numaNode().getAsInt() : "no NUMA node", 1, Integer::sum);
    }
    List<String> nodes = new ArrayList<>();
    perNode.forEach((node, n) -> nodes.add(n + " on " + node));
    long bars = 0;
    List<String> unreadable = new ArrayList<>();
    for (PciDevice d : concat(gpus, switches)) {
      try {
        bars += PciBar.total64(host.reader().attribute(d.address(), "resource").orElseThrow(() -> new IllegalArgumentException("missing")));
      } catch (IllegalArgumentException e) {
        unreadable.add(d.address().toString());
      }
    }
    return Optional.of(
        gpus.size() + (gpus.size() == 1 ? " GPU" : " GPUs") + (nodes.isEmpty() ? "" : " (" + String.join(", ", nodes) + ")") + ", "
            + switches.size() + (switches.size() == 1 ? " NVSwitch" : " NVSwitches") + ", 64-bit BARs " + (bars >> 20) + " MiB"
            + (unreadable.isEmpty() ? "" : " (without " + String.join(", ", unreadable) + ": no readable resource file)"));
  }

  private static List<PciDevice> concat(List<PciDevice> a, List<PciDevice> b) {
    List<PciDevice> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static PciNames names(HostState host, List<PciDevice> gpus) {
    Optional<PciIdsDatabase> db = PciIdsDatabase.find(host.paths().pciIdsCandidates());
    if (gpus.isEmpty() || db.isEmpty()) {
      return PciNames.none();
    }
    PciIdsDatabase.Request rq = new PciIdsDatabase.Request();
    gpus.forEach(d -> rq.device(d.vendor(), d.device()));
    try {
      return db.get().lookup(rq);
    } catch (IOException e) {
      return PciNames.none(); // the summary then names the GPUs by id
    }
  }

  /** "on", "off", or "unknown" when the groups cannot be listed. */
  public String iommu() {
    return iommuGroups > 0 ? "on" : iommuGroups == -2 ? "unknown" : "off";
  }

  /** {@code 2 NVIDIA GPUs (2 x GH100 [H100 SXM5 80GB]); IOMMU on, 14 groups}. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    if (gpuModels.isEmpty()) {
      sb.append("no NVIDIA GPU found");
    } else {
      Map<String, Integer> byModel = new LinkedHashMap<>();
      gpuModels.forEach(m -> byModel.merge(m, 1, Integer::sum));
      List<String> parts = new ArrayList<>();
      byModel.forEach((m, n) -> parts.add(n == 1 ? m : n + " x " + m));
      sb.append(gpuModels.size()).append(gpuModels.size() == 1 ? " NVIDIA GPU (" : " NVIDIA GPUs (")
          .append(String.join(", ", parts)).append(')');
    }
    sb.append("; IOMMU ");
    if (iommuGroups > 0) {
      sb.append("on, ").append(iommuGroups).append(iommuGroups == 1 ? " group" : " groups");
    } else if (iommuGroups == -2) {
      sb.append("unknown (cannot list ").append(iommuGroupsDir).append(')');
    } else {
      sb.append("off (no groups in ").append(iommuGroupsDir).append(')');
    }
    return sb.toString();
  }
}
