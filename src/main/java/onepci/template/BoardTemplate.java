package onepci.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import onepci.one.TemplateVector;
import onepci.sysfs.CpuList;

/**
 * An OpenNebula VM template for several passed-through devices (a whole HGX board: its GPUs and
 * NVSwitches), laid out as {@link VmTemplate} lays out one: one {@code PCI} per device, one
 * socket per host NUMA node the devices sit on with that node's cores, MEMORY per node, and an
 * OVMF 64-bit MMIO window for the sum of all their 64-bit BARs.
 *
 * @param nodes the host NUMA nodes (CPU sets) the devices sit on, in the order of their first device
 * @param vcpuPerNode vCPUs (cores of TOPOLOGY) on each node
 * @param memoryPerNodeMb MEMORY of each node, in MiB
 * @param mmio64Mb the OVMF 64-bit MMIO window to ask for, in MiB; empty when OVMF's default fits
 */
public record BoardTemplate(List<DevicePlacement> devices, List<Node> nodes, int vcpuPerNode, int memoryPerNodeMb, OptionalLong mmio64Mb, PinPolicy pin) {

  /**
   * The devices on one host NUMA node (one set of local CPUs).
   *
   * @param models per device model ({@code 10de:2330}) on this node: how many the VM takes, and how
   *     many the host has there (the node's cores are shared among the latter)
   */
  public record Node(String label, CpuList cpus, String cpuSource, int cores, Map<String, int[]> models) {

    /** The vCPUs this node gives the VM: each model's share of the cores times the devices taken, the largest. */
    int vcpus() {
      int v = 0;
      for (int[] m : models.values()) {
        v = Math.max(v, cores / m[1] * m[0]);
      }
      return Math.max(1, Math.min(cores, v));
    }
  }

  public BoardTemplate {
    devices = List.copyOf(devices);
    nodes = List.copyOf(nodes);
  }

  /**
   * Sizes the template: a socket per node; per socket {@code --vcpu} divided among the sockets, else
   * the smallest node's share; MEMORY {@code --memory} (else {@link VmTemplate#DEFAULT_MEMORY_MB}) per
   * socket.
   *
   * @param devices the devices in address order
   * @throws TemplateException when a device has no CPU information and no --vcpu is given, or the
   *     vCPUs do not split over the sockets or fit their nodes
   */
  public static BoardTemplate plan(List<DevicePlacement> devices, OptionalInt vcpu, OptionalInt memoryPerNodeMb, PinPolicy pin) throws TemplateException {
    Map<CpuList, List<DevicePlacement>> byCpus = new LinkedHashMap<>();
    for (DevicePlacement p : devices) {
      if (p.cpus().isEmpty() && vcpu.isEmpty()) {
        throw new TemplateException(
            "cannot size the VM: " + p.device().address() + " has no local_cpulist and no NUMA node in sysfs; give the vCPU count with --vcpu N");
      }
      byCpus.computeIfAbsent(p.cpus(), k -> new ArrayList<>()).add(p);
    }
    List<Node> nodes = new ArrayList<>();
    for (List<DevicePlacement> on : byCpus.values()) {
      DevicePlacement first = on.get(0);
      Map<String, int[]> models = new LinkedHashMap<>();
      for (DevicePlacement p : on) {
        models.computeIfAbsent(id(p), k -> new int[] {0, p.sharers()})[0]++;
      }
      String label = first.numaNode().isPresent() ? "NUMA node " + first.numaNode().getAsInt() : "CPUs " + first.device().localCpus().orElse("unknown");
      nodes.add(new Node(label, first.cpus(), first.cpuSource(), first.cores(), models));
    }
    int sockets = nodes.size();
    int perNode;
    if (vcpu.isPresent()) {
      int v = vcpu.getAsInt();
      if (v % sockets != 0) {
        throw new TemplateException(
            "--vcpu " + v + " does not split evenly over the VM's " + sockets + " sockets (one per host NUMA node the devices sit on);"
                + " use a multiple of " + sockets);
      }
      perNode = v / sockets;
      for (Node n : nodes) {
        if (pin == PinPolicy.CORE && n.cores() > 0 && perNode > n.cores()) {
          throw new TemplateException(
              "--vcpu " + v + " does not fit: it gives each socket " + perNode + " vCPUs, and the CPUs of " + n.label() + " ("
                  + n.cpuSource() + ") make " + n.cores() + " cores, and PIN_POLICY CORE gives each vCPU a whole core of that node; use --vcpu "
                  + n.cores() * sockets + " or fewer (or --pin none)");
        }
      }
    } else {
      perNode = nodes.stream().mapToInt(Node::vcpus).min().orElse(1);
    }
    long bar64 = devices.stream().mapToLong(DevicePlacement::bar64).sum();
    return new BoardTemplate(devices, nodes, perNode, memoryPerNodeMb.orElse(VmTemplate.DEFAULT_MEMORY_MB), VmTemplate.mmio64(bar64), pin);
  }

  private static String id(DevicePlacement p) {
    return p.device().vendorHex() + ":" + p.device().deviceHex();
  }

  public int vcpu() {
    return vcpuPerNode * nodes.size();
  }

  public int memoryMb() {
    return memoryPerNodeMb * nodes.size();
  }

  public long bar64() {
    return devices.stream().mapToLong(DevicePlacement::bar64).sum();
  }

  /** The devices by model: {@code 8 x 10de:2330, 4 x 10de:22a3}. */
  private String models() {
    Map<String, Integer> n = new LinkedHashMap<>();
    devices.forEach(p -> n.merge(id(p), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    n.forEach((id, count) -> parts.add(count + " x " + id));
    return String.join(", ", parts);
  }

  public String render(String name) {
    StringBuilder sb = new StringBuilder();
    sb.append("# VM template for ").append(devices.size()).append(" PCI devices (").append(models()).append("), written by one-pci template\n");
    sb.append("# as NVIDIA's GPU passthrough guide recommends. Add DISK, NIC and CONTEXT, then:\n");
    sb.append("#   onetemplate create <this file>\n");
    VmTemplate.pinComment(sb, pin);
    for (Node n : nodes) {
      List<String> parts = new ArrayList<>();
      n.models().forEach((id, m) -> parts.add(m[0] + " of " + m[1] + (m[1] == 1 ? " device " : " devices ") + id));
      sb.append("# ").append(n.label()).append(": ").append(n.cores()).append(" cores (").append(n.cpus().count()).append(" CPUs) for ")
          .append(String.join(", ", parts)).append("; ").append(vcpuPerNode).append(" vCPUs")
          .append(pin == PinPolicy.CORE ? " with one whole core each" : ", not pinned").append(".\n");
    }
    sb.append("# TOPOLOGY: one socket per host NUMA node, ").append(vcpuPerNode).append(" cores each; MEMORY ")
        .append(memoryPerNodeMb).append(" MiB per socket.\n");
    if (mmio64Mb.isPresent()) {
      long window = mmio64Mb.getAsLong();
      sb.append("# 64-bit BARs total ").append(bar64() >> 20).append(" MiB, beyond OVMF's default 32 GiB window:\n");
      sb.append("# RAW asks OVMF for a ").append(window).append(" MiB window so the guest can map them.\n");
      int bits = OvmfWindow.addressBits(window, memoryMb());
      if (bits > OvmfWindow.QEMU_DEFAULT_PHYS_BITS) {
        sb.append("# The window lies above the VM's memory, aligned to its size, and ends at ")
            .append(OvmfWindow.end(window, memoryMb()) >> 30).append(" GiB:\n");
        sb.append("# the guest needs ").append(bits).append(" physical address bits. QEMU gives a vCPU ")
            .append(OvmfWindow.QEMU_DEFAULT_PHYS_BITS).append(" unless host-phys-bits is on,\n");
        sb.append("# and OVMF uses the vCPU's count only above 40 and up to ").append(OvmfWindow.OVMF_MAX_PHYS_BITS)
            .append(": give the VM the host's own count\n");
        sb.append("# (libvirt <maxphysaddr mode='passthrough'/>, QEMU host-phys-bits=on), and check the host has\n");
        sb.append("# ").append(bits).append(" or more ('address sizes' in /proc/cpuinfo).\n");
        if (bits > OvmfWindow.OVMF_MAX_PHYS_BITS) {
          sb.append("# ").append(bits).append(" bits is more than OVMF uses: the guest cannot map these BARs; pass fewer devices.\n");
        }
      }
    }
    sb.append('\n');
    VmTemplate.single(sb, "NAME", name);
    VmTemplate.single(sb, "CPU", Integer.toString(vcpu()));
    VmTemplate.single(sb, "VCPU", Integer.toString(vcpu()));
    VmTemplate.single(sb, "MEMORY", Integer.toString(memoryMb()));
    List<TemplateVector> vectors = new ArrayList<>();
    VmTemplate.machine(vectors);
    TemplateVector.Builder topology = new TemplateVector.Builder("TOPOLOGY");
    if (pin == PinPolicy.CORE) {
      topology.add("PIN_POLICY", "CORE");
    }
    vectors.add(topology.add("SOCKETS", Integer.toString(nodes.size())).add("CORES", Integer.toString(vcpuPerNode)).add("THREADS", "1").build());
    for (DevicePlacement p : devices) {
      vectors.add(new TemplateVector.Builder("PCI").add("SHORT_ADDRESS", p.device().address().shortAddress()).build());
    }
    mmio64Mb.ifPresent(mb -> vectors.add(VmTemplate.raw(mb)));
    for (TemplateVector v : vectors) {
      sb.append(v.format());
    }
    return sb.toString();
  }
}
