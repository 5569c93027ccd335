package onepci.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An HGX H100 host set up as the guide and one-pci's installer leave it, for the template, doctor
 * and vfio tests that need a whole board: eight H100 SXM5 GPUs ({@code 10de:2330}) and four
 * NVSwitches ({@code 10de:22a3}).
 *
 * <p>An Intel host with two NUMA nodes of 56 cores and 2 threads each (node 0: CPUs 0-55,112-167;
 * node 1: 56-111,168-223), booted with {@code intel_iommu=on iommu=pt}. Each GPU sits below a
 * PCIe switch (root port, switch upstream port, switch downstream port), GPUs {@link #GPUS} 0-3
 * on node 0 and 4-7 on node 1; the NVSwitches below one root port on node 0. Every function is in
 * its own IOMMU group (the switches have ACS), every GPU and NVSwitch is on vfio-pci with a
 * driverctl override and {@code /dev/vfio/<group>} group kvm, mode 0666. The GPUs' BARs have the
 * layout of the real H100 capture ({@code fixtures/h100-firecracker-guest.tar.gz}: 16 MiB, 128 GiB
 * and 32 MiB, each 64-bit prefetchable); an NVSwitch has one 32 MiB 64-bit BAR. The rest is
 * {@link HealthyH100Host}'s: the synced remotes with {@code :filter: '10de:*'}, the hook, Java.
 */
public final class HgxHost {

  /** The GPUs, in address order: four on node 0, then four on node 1. */
  public static final List<String> GPUS =
      List.of("0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0");

  /** The NVSwitches, in address order, on node 0. */
  public static final List<String> NVSWITCHES = List.of("0000:05:00.0", "0000:06:00.0", "0000:07:00.0", "0000:08:00.0");

  public static final String NODE0_CPUS = "0-55,112-167";
  public static final String NODE1_CPUS = "56-111,168-223";

  /** The real H100's BARs as the capture has them (0, 2, 4), at host addresses; {@code %x} is the GPU's index. */
  private static final String GPU_RESOURCE =
      String.join(
          "\n",
          "0x00002%1$x2002000000 0x00002%1$x2002ffffff 0x000000000014220c",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x00002%1$x0000000000 0x00002%1$x1fffffffff 0x000000000014220c",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x00002%1$x2000000000 0x00002%1$x2001ffffff 0x000000000014220c",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "");

  /** An NVSwitch's one BAR: 32 MiB, 64-bit, not prefetchable. */
  private static final String NVSWITCH_RESOURCE =
      String.join(
          "\n",
          "0x0000031%1$x00000000 0x0000031%1$x01ffffff 0x0000000000140204",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "");

  private final FakeSysfs sys;
  private final List<FakeSysfs.Device> gpus;
  private final List<FakeSysfs.Device> nvswitches;
  private final List<Integer> groups;

  private HgxHost(FakeSysfs sys, List<FakeSysfs.Device> gpus, List<FakeSysfs.Device> nvswitches, List<Integer> groups) {
    this.sys = sys;
    this.gpus = List.copyOf(gpus);
    this.nvswitches = List.copyOf(nvswitches);
    this.groups = List.copyOf(groups);
  }

  public FakeSysfs sys() {
    return sys;
  }

  public String root() {
    return sys.root().toString();
  }

  /** The GPUs, in the order of {@link #GPUS}. */
  public List<FakeSysfs.Device> gpus() {
    return gpus;
  }

  /** The NVSwitches, in the order of {@link #NVSWITCHES}. */
  public List<FakeSysfs.Device> nvswitches() {
    return nvswitches;
  }

  /** The IOMMU group of the i-th GPU. */
  public int gpuGroup(int i) {
    return groups.get(i);
  }

  /** The IOMMU group of the i-th NVSwitch. */
  public int nvswitchGroup(int i) {
    return groups.get(GPUS.size() + i);
  }

  public static HgxHost create(Path root) {
    FakeSysfs s = FakeSysfs.create(root);
    s.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0b1c ro quiet intel_iommu=on iommu=pt\n");
    s.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n\n");
    topology(s);
    HealthyH100Host.hostTables(s);

    int group = 20;
    List<FakeSysfs.Device> gpus = new ArrayList<>();
    List<FakeSysfs.Device> switches = new ArrayList<>();
    List<Integer> groups = new ArrayList<>();
    for (int i = 0; i < GPUS.size(); i++) {
      int node = i < 4 ? 0 : 1;
      String cpus = node == 0 ? NODE0_CPUS : NODE1_CPUS;
      int bus = Integer.parseInt(GPUS.get(i).substring(5, 7), 16);
      // root port, PCIe switch upstream and downstream port, then the GPU: each its own group (ACS)
      FakeSysfs.Device rootPort = bridge(s, null, bus - 3, 0x8086, 0x352a, node, cpus, group++);
      FakeSysfs.Device upstream = bridge(s, rootPort, bus - 2, 0x1000, 0xc030, node, cpus, group++);
      FakeSysfs.Device downstream = bridge(s, upstream, bus - 1, 0x1000, 0xc030, node, cpus, group++);
      FakeSysfs.Device gpu = s.device(GPUS.get(i), downstream)
          .id(0x10de, 0x2330, 0x030200)
          .subsystem(0x10de, 0x16c1)
          .numa(node)
          .localCpus(cpus)
          .file("resource", String.format(GPU_RESOURCE, i));
      gpus.add(onVfio(s, gpu, group));
      groups.add(group++);
    }
    FakeSysfs.Device nvRoot = bridge(s, null, 0x04, 0x8086, 0x352a, 0, NODE0_CPUS, group++);
    for (int i = 0; i < NVSWITCHES.size(); i++) {
      FakeSysfs.Device sw = s.device(NVSWITCHES.get(i), nvRoot)
          .id(0x10de, 0x22a3, 0x068000)
          .subsystem(0x10de, 0x1796)
          .numa(0)
          .localCpus(NODE0_CPUS)
          .file("resource", String.format(NVSWITCH_RESOURCE, i));
      switches.add(onVfio(s, sw, group));
      groups.add(group++);
    }
    HealthyH100Host.software(s);
    // init, seen in /proc as on a host without hidepid; nv-fabricmanager does not run (see fabricManager)
    s.write("proc/1/comm", "systemd\n");
    return new HgxHost(s, gpus, switches, groups);
  }

  /** NVIDIA Fabric Manager running on the host as process {@code pid}, as /proc shows it. */
  public HgxHost fabricManager(int pid) {
    sys.write("proc/" + pid + "/comm", "nv-fabricmanage\n");
    sys.write("proc/" + pid + "/cmdline", "/usr/bin/nv-fabricmanager\0-c\0/usr/share/nvidia/nvswitch/fabricmanager.cfg\0");
    return this;
  }

  /** A PCIe port at {@code 0000:BB:00.0} (a root port at {@code BB:01.0}), on pcieport, in its own group. */
  private static FakeSysfs.Device bridge(FakeSysfs s, FakeSysfs.Device parent, int bus, int vendor, int device, int node, String cpus, int group) {
    String address = String.format(parent == null ? "0000:%02x:01.0" : "0000:%02x:00.0", bus);
    FakeSysfs.Device d = parent == null ? s.device(address) : s.device(address, parent);
    return d.id(vendor, device, 0x060400).numa(node).localCpus(cpus).iommuGroup(group).driver("pcieport");
  }

  /** In {@code group}, on vfio-pci with a driverctl override, its {@code /dev/vfio} node as the udev rule makes it. */
  private static FakeSysfs.Device onVfio(FakeSysfs s, FakeSysfs.Device d, int group) {
    d.iommuGroup(group).driver("vfio-pci").driverOverride("vfio-pci");
    s.write("etc/driverctl.d/pci-" + d.address(), "vfio-pci\n");
    HealthyH100Host.devVfio(s, group);
    return d;
  }

  /** Two nodes of 56 cores, each core with two threads n and n+112. */
  private static void topology(FakeSysfs s) {
    s.write("sys/devices/system/node/node0/cpulist", NODE0_CPUS + "\n");
    s.write("sys/devices/system/node/node1/cpulist", NODE1_CPUS + "\n");
    for (int cpu = 0; cpu < 224; cpu++) {
      int first = cpu % 112;
      s.write("sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list", first + "," + (first + 112) + "\n");
    }
  }
}
