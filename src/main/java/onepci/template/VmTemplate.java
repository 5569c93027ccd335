package onepci.template;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import onepci.one.TemplateEscaper;
import onepci.one.TemplateVector;

/**
 * An OpenNebula VM template for one passed-through PCI device, laid out as the NVIDIA guide's
 * "VM Template Best Practices": UEFI firmware, q35, host-passthrough CPU, CPU pinning sized to
 * the device's NUMA node, the device by SHORT_ADDRESS, and for a GPU with large BARs a 64-bit PCI
 * window in OVMF big enough to map them.
 *
 * @param mmio64Mb the OVMF 64-bit MMIO window to ask for, in MiB; empty when OVMF's default fits
 * @param pin TOPOLOGY's PIN_POLICY, or none
 */
public record VmTemplate(DevicePlacement placement, int vcpu, int memoryMb, OptionalLong mmio64Mb, PinPolicy pin) {

  /** OVMF's default 64-bit PCI MMIO window: 32 GiB. BARs beyond it need a bigger one. */
  public static final long OVMF_DEFAULT_MMIO64 = 32L << 30;

  /** MEMORY when none is given, in MiB. */
  public static final int DEFAULT_MEMORY_MB = 16384;

  /**
   * Sizes the template: VCPU from the option, else the node's cores shared among the devices like
   * this one on that node; MEMORY from the option, else {@link #DEFAULT_MEMORY_MB}.
   *
   * @throws TemplateException when the VCPU count cannot be pinned on the device's node
   */
  public static VmTemplate plan(DevicePlacement p, OptionalInt vcpu, OptionalInt memoryMb, PinPolicy pin) throws TemplateException {
    String address = p.device().address().toString();
    int cores = p.cores();
    int v;
    if (vcpu.isPresent()) {
      v = vcpu.getAsInt();
      if (pin == PinPolicy.CORE && cores > 0 && v > cores) {
        throw new TemplateException(
            "--vcpu " + v + " does not fit: the CPUs local to " + address + " (" + p.cpuSource() + ") make " + cores
                + " cores, and PIN_POLICY CORE gives each vCPU a whole core of that node; use --vcpu " + cores
                + " or fewer (or --pin none)");
      }
    } else if (cores > 0) {
      v = Math.max(1, cores / p.sharers());
    } else {
      throw new TemplateException(
          "cannot size the VM: " + address + " has no local_cpulist and no NUMA node in sysfs; give the vCPU count with --vcpu N");
    }
    return new VmTemplate(p, v, memoryMb.orElse(DEFAULT_MEMORY_MB), mmio64(p.bar64()), pin);
  }

  /** The power of two above the BARs' total (so the window has room left), when above OVMF's default. */
  static OptionalLong mmio64(long bar64) {
    if (bar64 <= OVMF_DEFAULT_MMIO64) {
      return OptionalLong.empty();
    }
    long window = Long.highestOneBit(bar64) << 1;
    return OptionalLong.of(window >> 20);
  }

  public String render() {
    DevicePlacement p = placement;
    String address = p.device().address().toString();
    String id = p.device().vendorHex() + ":" + p.device().deviceHex();
    String node = p.numaNode().isPresent() ? "NUMA node " + p.numaNode().getAsInt() : "the CPUs local to it";
    StringBuilder sb = new StringBuilder();
    sb.append("# VM template for PCI device ").append(address).append(" (").append(id).append("), written by one-pci template\n");
    sb.append("# as NVIDIA's GPU passthrough guide recommends. Add DISK, NIC and CONTEXT, then:\n");
    sb.append("#   onetemplate create <this file>\n");
    pinComment(sb, pin);
    if (p.cores() > 0) {
      sb.append("# ").append(node).append(": ").append(p.cores()).append(" cores (").append(p.cpus().count())
          .append(" CPUs) for ").append(p.sharers()).append(p.sharers() == 1 ? " device " : " devices ").append(id)
          .append("; VCPU ").append(vcpu).append(pin == PinPolicy.CORE ? " with one whole core each.\n" : ", not pinned.\n");
    }
    if (mmio64Mb.isPresent()) {
      sb.append("# 64-bit BARs total ").append(p.bar64() >> 20).append(" MiB, beyond OVMF's default 32 GiB window:\n");
      sb.append("# RAW asks OVMF for a ").append(mmio64Mb.getAsLong()).append(" MiB window so the guest can map them.\n");
    }
    sb.append('\n');
    single(sb, "NAME", "pci-" + p.device().address().shortAddress().replaceAll("[^0-9a-fA-F]", "-"));
    single(sb, "CPU", Integer.toString(vcpu));
    single(sb, "VCPU", Integer.toString(vcpu));
    single(sb, "MEMORY", Integer.toString(memoryMb));
    List<TemplateVector> vectors = new ArrayList<>();
    machine(vectors);
    // OpenNebula wants SOCKETS, CORES and THREADS of an unpinned TOPOLOGY, multiplying to VCPU
    TemplateVector.Builder topology = new TemplateVector.Builder("TOPOLOGY");
    if (pin == PinPolicy.CORE) {
      topology.add("PIN_POLICY", "CORE");
    }
    vectors.add(topology.add("SOCKETS", "1").add("CORES", Integer.toString(vcpu)).add("THREADS", "1").build());
    vectors.add(new TemplateVector.Builder("PCI").add("SHORT_ADDRESS", p.device().address().shortAddress()).build());
    mmio64Mb.ifPresent(mb -> vectors.add(raw(mb)));
    for (TemplateVector v : vectors) {
      sb.append(v.format());
    }
    return sb.toString();
  }

  /** What OpenNebula does with the template's PIN_POLICY, as comment lines. */
  static void pinComment(StringBuilder sb, PinPolicy pin) {
    if (pin == PinPolicy.CORE) {
      sb.append("# PIN_POLICY = \"CORE\" pins each vCPU to a whole core. A VM with a PIN_POLICY gets\n");
      sb.append("# (PIN_POLICY = PINNED) in its AUTOMATIC_REQUIREMENTS: it stays PENDING until a host has\n");
      sb.append("# PIN_POLICY = \"PINNED\" in its template (onehost update <host>), and a PINNED host then\n");
      sb.append("# takes only pinned VMs (every other VM gets !(PIN_POLICY = PINNED)). Unpinned: --pin none.\n");
    } else {
      sb.append("# No PIN_POLICY (--pin none): OpenNebula adds !(PIN_POLICY = PINNED) to this VM's\n");
      sb.append("# AUTOMATIC_REQUIREMENTS, so it runs only on hosts that are not PINNED, and its vCPUs float\n");
      sb.append("# over all the host's CPUs rather than the device's NUMA node.\n");
    }
  }

  /** The guide's machine: UEFI firmware, q35, the host's CPU model. */
  static void machine(List<TemplateVector> vectors) {
    vectors.add(new TemplateVector.Builder("OS").add("ARCH", "x86_64").add("FIRMWARE", "UEFI").add("MACHINE", "q35").build());
    vectors.add(new TemplateVector.Builder("CPU_MODEL").add("MODEL", "host-passthrough").build());
  }

  /** The RAW that asks OVMF for a 64-bit PCI MMIO window of {@code mb} MiB (its fw_cfg knob X-PciMmio64Mb). */
  static TemplateVector raw(long mb) {
    return new TemplateVector.Builder("RAW")
        .add("TYPE", "kvm")
        .add("DATA", "<qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string="
            + mb + "'/></qemu:commandline>")
        .build();
  }

  static void single(StringBuilder sb, String name, String value) {
    sb.append(name).append(" = \"").append(TemplateEscaper.escape(value)).append("\"\n");
  }
}
