package onepci.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one fixture of a KVM host set up exactly as the NVIDIA passthrough guide and one-pci's
 * installer leave it, for the doctor and template tests to break one thing at a time.
 *
 * <p>An Intel host with two NUMA nodes of 8 cores and 2 threads each (node 0: CPUs 0-7,16-23;
 * node 1: 8-15,24-31), booted with {@code intel_iommu=on iommu=pt}; an H100 SXM5 at
 * {@value #GPU} on node 1 in IOMMU group {@value #GROUP} with its PCIe switch port
 * {@value #PORT}, on vfio-pci with a driverctl override; a ConnectX NIC the filter does not
 * select; vfio-pci loaded and listed for boot; {@code /dev/vfio/13} group kvm, mode 0666 with the
 * udev rule; the synced remotes with one-pci's probe in place of the stock one and
 * {@code :filter: '10de:*'}; Java 17; the libvirt hook, with the same jar as the probe's; Debian 12
 * with driverctl installed.
 */
public final class HealthyH100Host {

  private final FakeSysfs sys;
  private final FakeSysfs.Device port;
  private final FakeSysfs.Device gpu;
  private final FakeSysfs.Device nic;

  public static final String GPU = "0000:e1:00.0";
  public static final String PORT = "0000:e0:01.0";
  public static final String NIC = "0000:3b:00.0";
  public static final int GROUP = 13;
  public static final String NODE1_CPUS = "8-15,24-31";

  /** An H100's BARs: 16 MiB registers (32-bit), 128 GiB and 32 MiB prefetchable 64-bit. */
  public static final String H100_RESOURCE =
      String.join(
          "\n",
          "0x00000000fb000000 0x00000000fbffffff 0x0000000000040200",
          "0x0000220000000000 0x0000221fffffffff 0x000000000014220c",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000222000000000 0x0000222001ffffff 0x000000000014220c",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "0x0000000000000000 0x0000000000000000 0x0000000000000000",
          "");

  private HealthyH100Host(FakeSysfs sys, FakeSysfs.Device port, FakeSysfs.Device gpu, FakeSysfs.Device nic) {
    this.sys = sys;
    this.port = port;
    this.gpu = gpu;
    this.nic = nic;
  }

  /** The tree under {@code root}. */
  public FakeSysfs sys() {
    return sys;
  }

  /** The PCIe switch port above the GPU, in its IOMMU group (a bridge: it stays on pcieport). */
  public FakeSysfs.Device port() {
    return port;
  }

  public FakeSysfs.Device gpu() {
    return gpu;
  }

  public FakeSysfs.Device nic() {
    return nic;
  }

  public static HealthyH100Host create(Path root) {
    FakeSysfs s = FakeSysfs.create(root);
    s.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0b1c ro quiet intel_iommu=on iommu=pt\n");
    s.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n\n");
    topology(s);
    hostTables(s);

    FakeSysfs.Device port = s.device(PORT).id(0x10b5, 0xc010, 0x060400).numa(1).localCpus(NODE1_CPUS).driver("pcieport");
    port.iommuGroup(GROUP);
    FakeSysfs.Device gpu = h100(s, GPU, port, GROUP).driver("vfio-pci").driverOverride("vfio-pci");
    s.write("etc/driverctl.d/pci-" + GPU, "vfio-pci\n");
    FakeSysfs.Device nic = s.device(NIC).id(0x15b3, 0x101d, 0x020000).numa(0).localCpus("0-7,16-23").iommuGroup(40).driver("mlx5_core");

    devVfio(s, GROUP);
    software(s);
    return new HealthyH100Host(s, port, gpu, nic);
  }

  /**
   * What the guide and one-pci's installer leave on a host, for every fixture host: vfio-pci
   * loaded and listed for boot, the udev rule, the synced remotes with one-pci's probe and
   * {@code :filter: '10de:*'}, Java 17, the libvirt hook with the probe's jar, Debian 12,
   * driverctl.
   */
  static void software(FakeSysfs s) {
    s.write("sys/module/vfio_pci/initstate", "live\n");
    s.write("etc/modules-load.d/one-pci-vfio.conf", "vfio-pci\n");
    s.write("etc/udev/rules.d/99-one-pci-vfio.rules", "SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0666\"\n");

    s.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*'\n:short_address: []\n:device_name: []\n");
    s.file("var/tmp/one/im/kvm-probes.d/host/system/pci-probe", "#!/bin/sh\n", "rwxr-xr-x");
    s.file("var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar", "PK", "rw-r--r--");
    s.file("usr/lib/one-pci/one-pci.jar", "PK", "rw-r--r--");
    s.file("var/tmp/one/im/kvm-probes.d/host/one-pci-stock/pci.rb", "#!/usr/bin/env ruby\n", "rw-r--r--");
    s.file("usr/lib/jvm/java-17-openjdk-amd64/bin/java", "#!/bin/sh\n", "rwxr-xr-x");
    s.write("usr/lib/jvm/java-17-openjdk-amd64/release", "IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.13\"\n");
    s.file("etc/libvirt/hooks/qemu.d/one-pci", "#!/bin/sh\nexit 0\n", "rwxr-xr-x");
    s.write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
    s.file("usr/sbin/driverctl", "#!/bin/sh\n", "rwxr-xr-x");
  }

  /** An H100 SXM5 below {@code port}, healthy but for its driver: the caller binds it. */
  public static FakeSysfs.Device h100(FakeSysfs s, String address, FakeSysfs.Device port, int group) {
    return s.device(address, port)
        .id(0x10de, 0x2330, 0x030200)
        .subsystem(0x10de, 0x16c1)
        .numa(1)
        .localCpus(NODE1_CPUS)
        .file("resource", H100_RESOURCE)
        .iommuGroup(group);
  }

  /** {@code /dev/vfio/<group>} with group kvm (this process's group, named kvm in etc/group) and mode 0666. */
  public static void devVfio(FakeSysfs s, int group) {
    s.file("dev/vfio/" + group, "", "rw-rw-rw-");
    s.write("etc/group", "kvm:x:" + gid(s.root()) + ":\nroot:x:0:\n");
  }

  /** The group id files made by this process get. */
  public static int gid(Path root) {
    try {
      return (Integer) Files.getAttribute(root, "unix:gid");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The default route's header line in {@code /proc/net/route}. */
  public static final String ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

  /**
   * What the vfio engine reads to know what the host runs on: / on a SATA disk and the default
   * route on an interface, neither of them among the PCI functions of the fixture; no swap.
   */
  static void hostTables(FakeSysfs s) {
    s.write("proc/self/mounts", "/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw,nosuid 0 0\n");
    s.write("proc/self/mountinfo",
        "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n22 21 0:22 / /proc rw,nosuid shared:2 - proc proc rw\n");
    s.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    s.write("proc/net/route", ROUTE_HEADER + "bond0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    s.write("proc/net/ipv6_route", "");
  }

  /** Two nodes of 8 cores, each core with two threads n and n+16. */
  private static void topology(FakeSysfs s) {
    s.write("sys/devices/system/node/node0/cpulist", "0-7,16-23\n");
    s.write("sys/devices/system/node/node1/cpulist", NODE1_CPUS + "\n");
    for (int cpu = 0; cpu < 32; cpu++) {
      int first = cpu % 16;
      s.write("sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list", first + "," + (first + 16) + "\n");
    }
  }
}
