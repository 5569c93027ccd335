package onepci.doctor;

import static onepci.testing.HealthyH100Host.GPU;
import static onepci.testing.HealthyH100Host.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every check on the healthy host, then each one broken on its own: status, message and fix. */
class DoctorTest {

  @TempDir Path tmp;
  HealthyH100Host host;
  FakeSysfs sys;
  Path root;

  @BeforeEach
  void setUp() {
    host = HealthyH100Host.create(tmp.resolve("host"));
    sys = host.sys();
    root = sys.root();
  }

  List<Check> run() {
    return Doctor.run(HostState.read(sys.paths(), Optional.empty()));
  }

  Check check(String name, String subject) {
    List<Check> found = run().stream().filter(c -> c.name().equals(name) && c.subject().equals(subject)).toList();
    assertThat(found).as("checks named %s about %s", name, subject).hasSize(1);
    return found.get(0);
  }

  Check hostCheck(String name) {
    return check(name, Check.HOST);
  }

  @Test
  void theHealthyHostPassesEveryCheckInTheFixedOrder() {
    List<Check> checks = run();

    assertThat(checks)
        .extracting(Check::name, Check::status, Check::subject)
        .containsExactly(
            tuple("iommu", Status.PASS, "host"),
            tuple("kernel-cmdline", Status.PASS, "host"),
            tuple("iommu-pt", Status.PASS, "host"),
            tuple("vfio-module", Status.PASS, "host"),
            tuple("vfio-boot", Status.PASS, "host"),
            tuple("passable", Status.PASS, GPU),
            tuple("driver", Status.PASS, GPU),
            tuple("group-viable", Status.PASS, GPU),
            tuple("nvidia-host-driver", Status.PASS, GPU),
            tuple("override", Status.PASS, GPU),
            tuple("dev-vfio", Status.PASS, GPU),
            tuple("udev-rule", Status.PASS, "host"),
            tuple("probe-filter", Status.PASS, "host"),
            tuple("stock-probe", Status.PASS, "host"),
            tuple("java", Status.PASS, "host"),
            tuple("libvirt-hook", Status.PASS, "host"),
            tuple("hook-jar", Status.PASS, "host"));
    assertThat(checks).extracting(Check::fix).containsOnly("");
    assertThat(Doctor.exitStatus(checks)).isZero();
  }

  @Test
  void theHealthyHostsMessagesNameWhatWasRead() {
    List<Check> checks = run();

    assertThat(checks)
        .extracting(Check::message)
        .containsExactly(
            "2 IOMMU groups in " + root.resolve("sys/kernel/iommu_groups"),
            root.resolve("proc/cmdline") + " has intel_iommu=on",
            root.resolve("proc/cmdline") + " has iommu=pt",
            "vfio-pci is loaded (" + root.resolve("sys/module/vfio_pci") + ")",
            "vfio-pci is loaded at boot by " + root.resolve("etc/modules-load.d/one-pci-vfio.conf"),
            "the vfio engine can take it: not a bridge or port, and not a device the host runs on (mounts, swap, default route, console)",
            "10de:2330 is bound to vfio-pci",
            "IOMMU group 13 (2 devices) is viable: every endpoint is on vfio-pci or no driver",
            "the GPU is not on nouveau or nvidia",
            "persistent override to vfio-pci (driverctl, " + root.resolve("etc/driverctl.d/pci-" + GPU) + ")",
            root.resolve("dev/vfio/13") + " is group kvm, mode 0666",
            root.resolve("etc/udev/rules.d/99-one-pci-vfio.rules") + " gives the vfio device nodes to group kvm with mode 0666",
            "filter '10de:*' in " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf") + " selects every NVIDIA device (10de:*)",
            root.resolve("var/tmp/one/im/kvm-probes.d/host/system/pci-probe") + " runs and the stock pci.rb does not",
            "Java 17 at " + root.resolve("usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
            root.resolve("etc/libvirt/hooks/qemu.d/one-pci") + " is installed (libvirtd runs hooks it found at its start)",
            root.resolve("usr/lib/one-pci/one-pci.jar") + " (the libvirt hook's) and "
                + root.resolve("var/tmp/one/im/kvm-probes.d/host/system/one-pci.jar") + " (the probe's) are the same build");
  }

  @Nested
  class Iommu {

    @Test
    void aHostWithoutIommuGroupsFailsAndNamesTheKernelParameter() {
      sys.delete("sys/kernel/iommu_groups/13").delete("sys/kernel/iommu_groups/40").delete(GPU_GROUP_LINK);
      sys.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet\n");

      Check c = hostCheck("iommu");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo(
              root.resolve("sys/kernel/iommu_groups")
                  + " is empty: the IOMMU is off. Boot the kernel with intel_iommu=on and enable Intel VT-d in the firmware setup");
      assertThat(c.fix())
          .isEqualTo("sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&intel_iommu=on /' /etc/default/grub && update-grub && reboot");
      Check cmdline = hostCheck("kernel-cmdline");
      assertThat(cmdline.status()).isEqualTo(Status.FAIL);
      assertThat(cmdline.message()).isEqualTo(root.resolve("proc/cmdline") + " lacks intel_iommu=on, which turns on Intel VT-d");
      // the engine refuses every device without an IOMMU: that is all the report says of the GPU
      Check passable = check("passable", GPU);
      assertThat(passable.status()).isEqualTo(Status.FAIL);
      assertThat(passable.message())
          .isEqualTo("not passable, although the probe offers it to VMs (a VM given it would not start): the IOMMU is off (no IOMMU groups on this host)");
      assertThat(passable.fix()).doesNotContain("driverctl");
      assertThat(run()).filteredOn(x -> x.subject().equals(GPU)).extracting(Check::name).containsExactly("passable");
    }

    @Test
    void aMissingGroupsFolderFails() {
      sys.delete("sys/kernel/iommu_groups");

      Check c = hostCheck("iommu");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message()).startsWith(root.resolve("sys/kernel/iommu_groups") + " does not exist: the IOMMU is off.");
    }

    @Test
    void anAmdHostNeedsAmdIommuOn() {
      sys.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
      sys.write("proc/cmdline", "ro quiet amd_iommu=on iommu=pt\n");
      assertThat(hostCheck("kernel-cmdline").status()).isEqualTo(Status.PASS);

      sys.write("proc/cmdline", "ro quiet intel_iommu=on iommu=pt\n");
      Check c = hostCheck("kernel-cmdline");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .isEqualTo(
              root.resolve("proc/cmdline")
                  + " lacks amd_iommu=on, which turns on AMD-Vi (the IOMMU is on by a kernel default this host relies on)");
      assertThat(c.fix()).isEqualTo("sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&amd_iommu=on /' /etc/default/grub && update-grub && reboot");
    }

    @Test
    void anIommuTurnedOffOnTheCommandLineFailsWithAFixThatTurnsItOn() {
      sys.write("proc/cmdline", "ro intel_iommu=off iommu=pt\n");

      Check c = hostCheck("kernel-cmdline");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message()).isEqualTo(root.resolve("proc/cmdline") + " turns the IOMMU off (intel_iommu=off); it needs intel_iommu=on");
      assertThat(c.fix()).isEqualTo("sed -i '/^GRUB_CMDLINE_LINUX/s/intel_iommu=off/intel_iommu=on/' /etc/default/grub && update-grub && reboot");
    }

    @Test
    void theIommuUnitsTheKernelRegisteredOutweighTheCpuVendor() {
      // an AMD CPU in a guest whose virtual IOMMU is Intel's (QEMU's intel-iommu device)
      sys.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
      sys.write("sys/class/iommu/dmar0/uevent", "");
      assertThat(hostCheck("kernel-cmdline").status()).isEqualTo(Status.PASS);

      sys.delete("sys/class/iommu/dmar0").write("sys/class/iommu/ivhd0/uevent", "");
      assertThat(hostCheck("kernel-cmdline").message()).startsWith(root.resolve("proc/cmdline") + " lacks amd_iommu=on");
    }

    @Test
    void optionsAfterOnAreAccepted() {
      sys.write("proc/cmdline", "ro intel_iommu=on,sm_on iommu=pt\n");

      assertThat(hostCheck("kernel-cmdline").status()).isEqualTo(Status.PASS);
    }

    @Test
    void anUnknownCpuVendorIsToldBothParametersAndACommandThatPicksOne() {
      sys.delete("proc/cpuinfo");
      sys.write("proc/cmdline", "ro iommu=pt\n");
      sys.delete("sys/kernel/iommu_groups/13").delete("sys/kernel/iommu_groups/40");

      Check c = hostCheck("iommu");
      assertThat(c.message()).contains("Boot the kernel with intel_iommu=on (Intel) or amd_iommu=on (AMD)");
      assertThat(c.fix())
          .isEqualTo(
              "p=intel_iommu=on; grep -q AuthenticAMD /proc/cpuinfo && p=amd_iommu=on; "
                  + "sed -i \"s/^GRUB_CMDLINE_LINUX_DEFAULT=\\\"/&$p /\" /etc/default/grub && update-grub && reboot");
    }

    @Test
    void withoutIommuPtTheHostOnlyWarns() {
      sys.write("proc/cmdline", "ro intel_iommu=on\n");

      Check c = hostCheck("iommu-pt");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.fix()).isEqualTo("sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&iommu=pt /' /etc/default/grub && update-grub && reboot");
      assertThat(Doctor.exitStatus(run())).isEqualTo(1);
    }

    @Test
    void anUnreadableCommandLineIsAWarningThatSaysWhatCouldNotBeRead() throws Exception {
      sys.delete("proc/cmdline");
      Files.createDirectories(root.resolve("proc/cmdline"));

      Check c = hostCheck("kernel-cmdline");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message()).startsWith("cannot read " + root.resolve("proc/cmdline") + " (").endsWith("): the kernel parameters are unknown");
      assertThat(hostCheck("iommu-pt").status()).isEqualTo(Status.WARN);
    }
  }

  /** The GPU's link to its group: removed with the groups, as on a kernel without IOMMU. */
  static final String GPU_GROUP_LINK = "sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + GPU + "/iommu_group";

  @Nested
  class VfioModule {

    @Test
    void anUnloadedModuleFailsWithModprobeWhenNoHookLoadsIt() {
      sys.delete("sys/module/vfio_pci").delete("etc/libvirt/hooks/qemu.d/one-pci");

      Check c = hostCheck("vfio-module");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo("vfio-pci is not loaded (no " + root.resolve("sys/module/vfio_pci") + ") and no libvirt hook "
              + root.resolve("etc/libvirt/hooks/qemu.d/one-pci") + " loads it");
      assertThat(c.fix()).isEqualTo("modprobe vfio-pci");
    }

    @Test
    void aModuleNotLoadedAtBootWarns() {
      sys.write("etc/modules-load.d/one-pci-vfio.conf", "# vfio-pci\n; vfio_pci\n");
      sys.write("etc/modules-load.d/other.conf", "kvm_intel\n");

      Check c = hostCheck("vfio-boot");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .isEqualTo("no file in " + root.resolve("etc/modules-load.d") + " or " + root.resolve("etc/modules") + " loads vfio-pci at boot");
      assertThat(c.fix()).isEqualTo("echo vfio-pci > /etc/modules-load.d/one-pci-vfio.conf");
    }

    @Test
    void debiansEtcModulesCountsAndAFileThatCannotBeReadIsNamed() throws Exception {
      sys.delete("etc/modules-load.d/one-pci-vfio.conf");
      Files.createDirectories(root.resolve("etc/modules-load.d/broken.conf"));
      sys.write("etc/modules", "# modules\nvfio_pci\n");
      assertThat(hostCheck("vfio-boot").message()).isEqualTo("vfio-pci is loaded at boot by " + root.resolve("etc/modules"));

      sys.delete("etc/modules");
      Check c = hostCheck("vfio-boot");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message()).contains("; could not read " + root.resolve("etc/modules-load.d/broken.conf") + " (");
    }
  }

  @Nested
  class Devices {

    @Test
    void aGpuLeftOnNouveauIsFlagged() {
      host.gpu().driver("nouveau").driverOverride("(null)");
      sys.delete("etc/driverctl.d/pci-" + GPU);

      Check c = check("nvidia-host-driver", GPU);
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo("the GPU is on the host driver nouveau although the probe offers it to VMs: QEMU cannot take it while nouveau holds it");
      assertThat(c.fix()).isEqualTo("driverctl set-override 0000:e1:00.0 vfio-pci");
      assertThat(check("driver", GPU).status()).isEqualTo(Status.WARN);
      assertThat(check("driver", GPU).message()).isEqualTo("10de:2330 is bound to nouveau, not vfio-pci: the host is using it");
      // the GPU itself is the driver check's business: libvirt or the hook moves the device a VM is given
      assertThat(check("group-viable", GPU).message()).isEqualTo("IOMMU group 13 (2 devices) is viable: no other endpoint is on a host driver");
      assertThat(check("override", GPU).message()).isEqualTo("no driver override: the device keeps its driver until a VM takes it");
    }

    @Test
    void aGpuOnNvidiaThatTheFilterLeavesOutOnlyWarns() {
      host.gpu().driver("nvidia");
      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '15b3:*'\n");

      Check c = check("nvidia-host-driver", GPU);
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message()).isEqualTo("the GPU is on the host driver nvidia and the probe filter leaves it out: OpenNebula does not offer it");
    }

    @Test
    void aSiblingOnAHostDriverIsMovedByTheHookAndNamedAsAWarningWithoutIt() {
      FakeSysfs.Device port = host.port();
      sys.device("0000:e1:00.1", port).id(0x10de, 0x22e8, 0x040300).iommuGroup(GROUP).driver("snd_hda_intel");
      sys.device("0000:e1:00.2", port).id(0x10de, 0x22e9, 0x0c8000).iommuGroup(GROUP);

      Check c = check("group-viable", GPU);
      assertThat(c.status()).isEqualTo(Status.PASS);
      assertThat(c.message())
          .isEqualTo("IOMMU group 13 (4 devices) is viable: the one-pci hook moves 0000:e1:00.1 (10de:22e8, on snd_hda_intel) to vfio-pci with it when a VM starts");
      assertThat(run()).filteredOn(x -> x.subject().equals(GPU)).extracting(Check::status).containsOnly(Status.PASS);

      sys.delete("etc/libvirt/hooks/qemu.d/one-pci");
      Check without = check("group-viable", GPU);
      assertThat(without.status()).isEqualTo(Status.WARN);
      assertThat(without.message())
          .isEqualTo("IOMMU group 13 is not viable without the one-pci hook, and it is not installed: libvirt moves only the device a VM is given, "
              + "and 0000:e1:00.1 (10de:22e8, on snd_hda_intel) stays on the host");
      assertThat(without.fix()).isEqualTo("./install.sh --host && systemctl restart libvirtd");
    }

    @Test
    void everySiblingTheHookMovesIsNamed() {
      FakeSysfs.Device port = host.port();
      sys.device("0000:e1:00.1", port).id(0x10de, 0x22e8, 0x040300).iommuGroup(GROUP).driver("snd_hda_intel");
      sys.device("0000:e1:00.3", port).id(0x10de, 0x1ad9, 0x0c0330).iommuGroup(GROUP).driver("xhci_hcd");
      sys.mode("etc/libvirt/hooks/qemu.d/one-pci", "rw-r--r--");

      Check c = check("group-viable", GPU);
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .isEqualTo(
              "IOMMU group 13 is not viable without the one-pci hook, and it is not installed: libvirt moves only the device a VM is given, and "
                  + "0000:e1:00.1 (10de:22e8, on snd_hda_intel), 0000:e1:00.3 (10de:1ad9, on xhci_hcd) stay on the host");
    }

    @Test
    void anUnboundDeviceIsFineForTheGroupAndTheDriverCheck() {
      sys.delete("sys/bus/pci/drivers/vfio-pci/" + GPU).delete("sys/devices/pci0000:e0/" + HealthyH100Host.PORT + "/" + GPU + "/driver");
      sys.delete("dev/vfio/13");

      assertThat(check("driver", GPU).status()).isEqualTo(Status.PASS);
      assertThat(check("driver", GPU).message()).isEqualTo("10de:2330 is bound to no driver: vfio-pci can take it when a VM starts");
      assertThat(check("group-viable", GPU).status()).isEqualTo(Status.PASS);
      assertThat(check("dev-vfio", GPU).status()).isEqualTo(Status.PASS);
      assertThat(check("dev-vfio", GPU).message()).isEqualTo("no " + root.resolve("dev/vfio/13") + " yet: it appears when vfio-pci takes IOMMU group 13");
    }

    @Test
    void overridesAreReportedWhetherPersistentForThisBootOrToAnotherDriver() {
      sys.delete("etc/driverctl.d/pci-" + GPU);
      assertThat(check("override", GPU).status()).isEqualTo(Status.PASS);
      assertThat(check("override", GPU).message())
          .isEqualTo("driver_override is vfio-pci until the next boot (no driverctl override in " + root.resolve("etc/driverctl.d") + ")");

      host.gpu().driverOverride("nvidia");
      Check other = check("override", GPU);
      assertThat(other.status()).isEqualTo(Status.WARN);
      assertThat(other.message()).isEqualTo("driver_override is nvidia: vfio-pci cannot bind it");
      assertThat(other.fix()).isEqualTo("driverctl set-override 0000:e1:00.0 vfio-pci");

      sys.write("etc/driverctl.d/pci-" + GPU, "nouveau\n");
      assertThat(check("override", GPU).message())
          .isEqualTo("driverctl binds it to nouveau at every boot (" + root.resolve("etc/driverctl.d/pci-" + GPU) + ")");
    }

    @Test
    void aVgpuParentAndItsVirtualFunctionsStayOnNvidiaWithoutPassthroughChecks() {
      FakeSysfs.Device vf = sys.device("0000:e1:00.4", host.port()).id(0x10de, 0x2330, 0x030200).numa(1).iommuGroup(90).driver("nvidia");
      host.gpu().driver("nvidia").driverOverride("(null)").sriovPf(16, 1).virtfn(0, vf);
      sys.delete("etc/driverctl.d/pci-" + GPU);

      List<Check> checks = run();

      assertThat(checks).filteredOn(c -> c.subject().startsWith("0000:e1:00.")).extracting(Check::subject, Check::name, Check::status, Check::message)
          .containsExactly(
              tuple(GPU, "nvidia-host-driver", Status.PASS, "a vGPU parent: VMs get its virtual functions, so it stays on nvidia rather than vfio-pci"),
              tuple("0000:e1:00.4", "nvidia-host-driver", Status.PASS,
                  "a vGPU virtual function: VMs get it as a mediated device, so it stays on nvidia rather than vfio-pci"));
      assertThat(Doctor.exitStatus(checks)).isZero();
    }

    @Test
    void theFilterAddsDevicesToExamineAndNvidiaGpusAreExaminedAnyway() {
      assertThat(run()).extracting(Check::subject).doesNotContain(HealthyH100Host.NIC);

      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '15b3:*'\n");
      List<Check> checks = run();
      assertThat(checks).extracting(Check::subject).contains(HealthyH100Host.NIC, GPU);
      Check nic = check("driver", HealthyH100Host.NIC);
      assertThat(nic.status()).isEqualTo(Status.WARN);
      assertThat(nic.message()).isEqualTo("15b3:101d is bound to mlx5_core, not vfio-pci: the host is using it");
      assertThat(checks).filteredOn(c -> c.subject().equals(HealthyH100Host.NIC)).extracting(Check::name)
          .containsExactly("passable", "driver", "group-viable", "override", "dev-vfio");
    }
  }

  @Nested
  class DevVfio {

    @Test
    void aNodeWithTheWrongModeFails() {
      sys.mode("dev/vfio/13", "rw-------");

      Check c = check("dev-vfio", GPU);
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo(root.resolve("dev/vfio/13") + " is group kvm, mode 0600; it must be group kvm, mode 0666 for QEMU, which runs as oneadmin");
      assertThat(c.fix()).isEqualTo("chgrp kvm /dev/vfio/13 && chmod 0666 /dev/vfio/13");
    }

    @Test
    void aNodeOfAnotherGroupFails() {
      sys.write("etc/group", "root:x:0:\nkvm:x:" + (HealthyH100Host.gid(root) + 1) + ":\nstaff:x:" + HealthyH100Host.gid(root) + ":\n");

      Check c = check("dev-vfio", GPU);
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message()).startsWith(root.resolve("dev/vfio/13") + " is group " + (HealthyH100Host.gid(root) == 0 ? "root" : "staff") + ", mode 0666;");
    }

    @Test
    void aMissingNodeForADeviceOnVfioPciFails() {
      sys.delete("dev/vfio/13");

      Check c = check("dev-vfio", GPU);
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message()).isEqualTo(root.resolve("dev/vfio/13") + " is missing although the device is on vfio-pci: QEMU has nothing to open");
    }

    @Test
    void withoutTheUdevRuleTheCheckFails() {
      sys.delete("etc/udev/rules.d/99-one-pci-vfio.rules");

      Check c = hostCheck("udev-rule");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo("no udev rule sets GROUP=\"kvm\", MODE=\"0666\" for SUBSYSTEM==\"vfio\": new vfio device nodes come up root-only and QEMU cannot open them");
      assertThat(c.fix())
          .isEqualTo(
              "echo 'SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0666\"' > /etc/udev/rules.d/99-one-pci-vfio.rules"
                  + " && udevadm control --reload && udevadm trigger --subsystem-match=vfio");
    }

    @Test
    void aRuleWithTheWrongModeIsQuoted() {
      sys.write("etc/udev/rules.d/99-one-pci-vfio.rules", "# vfio\nSUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\"\n");

      Check c = hostCheck("udev-rule");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .contains("; found only " + root.resolve("etc/udev/rules.d/99-one-pci-vfio.rules") + ": SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\"");
    }

    @Test
    void thePackagesRuleFolderCountsToo() {
      sys.delete("etc/udev/rules.d/99-one-pci-vfio.rules");
      sys.write("usr/lib/udev/rules.d/60-vfio.rules", "SUBSYSTEM == \"vfio\", GROUP := \"kvm\", MODE = \"0666\"\n");

      assertThat(hostCheck("udev-rule").status()).isEqualTo(Status.PASS);
    }
  }

  @Nested
  class Probe {

    @Test
    void aFilterForNvidia3dControllersCoversTheGpusOfThisHost() {
      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*:0302'\n");

      Check c = hostCheck("probe-filter");
      assertThat(c.status()).isEqualTo(Status.PASS);
      assertThat(c.message())
          .isEqualTo("filter '10de:*:0302' in " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf") + " selects every NVIDIA GPU on this host (1)");
    }

    @Test
    void aFilterWithoutNvidiaFails() {
      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '15b3:*'\n");

      Check c = hostCheck("probe-filter");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo(
              "filter '15b3:*' in " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf")
                  + " selects none of this host's NVIDIA GPUs (0000:e1:00.0): OpenNebula is offered no GPU");
      assertThat(c.fix())
          .isEqualTo("on the front-end, set  :filter: '10de:*'  in /var/lib/one/remotes/etc/im/kvm-probes.d/pci.conf, then: onehost sync -f");
    }

    @Test
    void aFilterThatLeavesOutSomeGpusWarns() {
      HealthyH100Host.h100(sys, "0000:c1:00.0", host.port(), 14).driver("vfio-pci");
      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: '10de:*'\n:short_address: ['e1:00.0']\n");

      Check c = hostCheck("probe-filter");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message()).endsWith(" leaves out the NVIDIA GPUs 0000:c1:00.0");
    }

    @Test
    void anInvalidOrMissingConfigurationFails() {
      sys.write("var/tmp/one/etc/im/kvm-probes.d/pci.conf", ":filter: 'nvidia'\n");
      Check c = hostCheck("probe-filter");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo(
              "Invalid configuration " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf")
                  + ": line 1: :filter: filter 'nvidia': at least two fields must be given, as in '10de:*'; the probe then reports no device");

      sys.delete("var/tmp/one/etc/im/kvm-probes.d/pci.conf");
      assertThat(hostCheck("probe-filter").message())
          .isEqualTo("Invalid configuration " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf") + ": the file does not exist; the probe then reports no device");
    }

    @Test
    void aConfigurationThisUserCannotReadIsAWarningThatNamesIt() throws Exception {
      sys.delete("var/tmp/one/etc/im/kvm-probes.d/pci.conf");
      Files.createDirectories(root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf"));

      Check c = hostCheck("probe-filter");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .startsWith("cannot read " + root.resolve("var/tmp/one/etc/im/kvm-probes.d/pci.conf") + " (")
          .endsWith("): the filter is unknown; NVIDIA GPUs were examined anyway");
      assertThat(run()).extracting(Check::subject).contains(GPU);
    }

    @Test
    void theConfigOptionChoosesTheFileJudged() throws Exception {
      Path conf = tmp.resolve("front-end-pci.conf");
      Files.writeString(conf, ":filter: '15b3:*'\n");

      List<Check> checks = Doctor.run(HostState.read(sys.paths(), Optional.of(conf)));

      Check c = checks.stream().filter(x -> x.name().equals("probe-filter")).findFirst().orElseThrow();
      assertThat(c.message()).startsWith("filter '15b3:*' in " + conf + " selects none");
    }

    @Test
    void theStockProbeRunningBesideOursFails() {
      sys.file("var/tmp/one/im/kvm-probes.d/host/system/pci.rb", "#!/usr/bin/env ruby\n", "rwxr-xr-x");

      Check c = hostCheck("stock-probe");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      Path dir = root.resolve("var/tmp/one/im/kvm-probes.d/host/system");
      assertThat(c.message())
          .isEqualTo(dir.resolve("pci.rb") + " and " + dir.resolve("pci-probe") + " are both executable: two reports of the same PCI devices corrupt the host's device list");
      assertThat(c.fix()).isEqualTo("on the front-end, in the one-pci checkout: ./install.sh && onehost sync -f");
    }

    @Test
    void aStockPciRbThatIsNotExecutableIsFine() {
      sys.file("var/tmp/one/im/kvm-probes.d/host/system/pci.rb", "#!/usr/bin/env ruby\n", "rw-r--r--");

      assertThat(hostCheck("stock-probe").status()).isEqualTo(Status.PASS);
    }

    @Test
    void onlyTheStockProbeOrNoRemotesAtAllWarn() {
      sys.delete("var/tmp/one/im/kvm-probes.d/host/system/pci-probe");
      sys.file("var/tmp/one/im/kvm-probes.d/host/system/pci.rb", "#!/usr/bin/env ruby\n", "rwxr-xr-x");
      Check c = hostCheck("stock-probe");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .isEqualTo("no " + root.resolve("var/tmp/one/im/kvm-probes.d/host/system/pci-probe")
              + ": OpenNebula runs the stock pci.rb (no IOMMU groups, no NVIDIA names)");

      sys.delete("var/tmp/one/im");
      Check none = hostCheck("stock-probe");
      assertThat(none.status()).isEqualTo(Status.WARN);
      assertThat(none.fix()).isEqualTo("on the front-end: onehost sync -f");
    }

    @Test
    void withoutJava17TheJavaCheckFailsAndNamesWhatItFound() {
      sys.delete("usr/lib/jvm/java-17-openjdk-amd64");
      sys.file("usr/lib/jvm/java-11-openjdk-amd64/bin/java", "#!/bin/sh\n", "rwxr-xr-x");
      sys.write("usr/lib/jvm/java-11-openjdk-amd64/release", "JAVA_VERSION=\"11.0.25\"\n");

      Check c = hostCheck("java");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo("no Java 17 or newer in " + root.resolve("usr/lib/jvm") + " (found only Java 11 at "
              + root.resolve("usr/lib/jvm/java-11-openjdk-amd64/bin/java")
              + "): the probe falls back to the stock one and the libvirt hook cannot bind devices");
      assertThat(c.fix()).isEqualTo("apt-get install openjdk-17-jre-headless");
    }
  }

  @Nested
  class LibvirtHook {

    @Test
    void aMissingHookFails() {
      sys.delete("etc/libvirt/hooks/qemu.d/one-pci");

      Check c = hostCheck("libvirt-hook");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message())
          .isEqualTo("no " + root.resolve("etc/libvirt/hooks/qemu.d/one-pci") + ": nothing gives a VM's whole IOMMU group to vfio-pci when it starts");
      assertThat(c.fix()).isEqualTo("./install.sh --host && systemctl restart libvirtd");
    }

    @Test
    void aHookThatIsNotExecutableFails() {
      sys.mode("etc/libvirt/hooks/qemu.d/one-pci", "rw-r--r--");

      Check c = hostCheck("libvirt-hook");
      assertThat(c.status()).isEqualTo(Status.FAIL);
      assertThat(c.message()).isEqualTo(root.resolve("etc/libvirt/hooks/qemu.d/one-pci") + " is not an executable file: libvirt does not run it");
      assertThat(c.fix()).isEqualTo("chmod 0755 /etc/libvirt/hooks/qemu.d/one-pci && systemctl restart libvirtd");
    }
  }
}
