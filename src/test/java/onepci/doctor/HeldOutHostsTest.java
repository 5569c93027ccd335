package onepci.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when", end to end through {@code one-pci doctor --json}: each host differs
 * from the healthy one in a way the checks were not tuned on (an AMD host, a second GPU, an
 * A100 with its audio function), and the exit status and JSON say what a person must see.
 */
class HeldOutHostsTest {

  @TempDir Path tmp;

  Cli.Result doctor(HealthyH100Host h) {
    return Cli.run("doctor", "--json", "--sysfs-root", h.sys().root().toString());
  }

  static String entry(String name, String status, String subject, String message, String fix) {
    return "{\"name\":\"" + name + "\",\"status\":\"" + status + "\",\"subject\":\"" + subject + "\",\"message\":\"" + message
        + "\",\"fix\":\"" + fix + "\"}";
  }

  @Test
  void anAmdHostWithoutIommuFailsAndNamesAmdIommuOn() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("amd"));
    h.sys()
        .write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n")
        .write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.8.0-45-generic root=/dev/mapper/vg-root ro iommu=pt\n")
        .delete("sys/kernel/iommu_groups");

    Cli.Result r = doctor(h);

    assertThat(r.status()).isEqualTo(2);
    Path groups = h.sys().root().resolve("sys/kernel/iommu_groups");
    String fix = "sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\\\"/&amd_iommu=on /' /etc/default/grub && update-grub && reboot";
    assertThat(r.out())
        .startsWith(
            "{\"checks\":["
                + entry("iommu", "fail", "host",
                    groups + " does not exist: the IOMMU is off. Boot the kernel with amd_iommu=on and enable AMD-Vi in the firmware setup", fix)
                + ","
                + entry("kernel-cmdline", "fail", "host", h.sys().root().resolve("proc/cmdline") + " lacks amd_iommu=on, which turns on AMD-Vi", fix)
                + ",");
  }

  @Test
  void aSecondGpuLeftOnNouveauIsFlaggedAndTheFirstStaysFine() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("two-gpus"));
    FakeSysfs.Device port2 = h.sys().device("0000:c0:01.0").id(0x10b5, 0xc010, 0x060400).numa(1).iommuGroup(20).driver("pcieport");
    HealthyH100Host.h100(h.sys(), "0000:c1:00.0", port2, 21).driver("nouveau");

    Cli.Result r = doctor(h);

    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out())
        .contains(entry("nvidia-host-driver", "fail", "0000:c1:00.0",
            "the GPU is on the host driver nouveau although the probe offers it to VMs: QEMU cannot take it while nouveau holds it",
            "driverctl set-override 0000:c1:00.0 vfio-pci"))
        .contains(entry("nvidia-host-driver", "pass", HealthyH100Host.GPU, "the GPU is not on nouveau or nvidia", ""));
    assertThat(r.out().split("\"status\":\"fail\"", -1)).hasSize(2); // the nouveau GPU: nothing else
    assertThat(r.out()).contains(entry("group-viable", "pass", "0000:c1:00.0", "IOMMU group 21 (1 device) is viable: no other endpoint is on a host driver", ""));
  }

  @Test
  void anA100WhoseAudioFunctionStaysOnTheHostNamesThatSibling() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("a100"));
    FakeSysfs.Device port2 = h.sys().device("0000:40:03.1").id(0x1022, 0x1483, 0x060400).numa(0).iommuGroup(30).driver("pcieport");
    h.sys().device("0000:41:00.0", port2).id(0x10de, 0x20b5, 0x030200).numa(0).iommuGroup(31).driver("vfio-pci");
    h.sys().device("0000:41:00.1", port2).id(0x10de, 0x1aef, 0x040300).numa(0).iommuGroup(31).driver("snd_hda_intel");
    h.sys().file("dev/vfio/31", "", "rw-rw-rw-");

    Cli.Result r = doctor(h);

    // the hook moves the audio function with the GPU; without the hook, libvirt would not
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains(entry("group-viable", "pass", "0000:41:00.0",
            "IOMMU group 31 (2 devices) is viable: the one-pci hook moves 0000:41:00.1 (10de:1aef, on snd_hda_intel) to vfio-pci with it when a VM starts",
            ""));

    h.sys().delete("etc/libvirt/hooks/qemu.d/one-pci");
    Cli.Result without = doctor(h);

    assertThat(without.status()).isEqualTo(2); // the missing hook fails on its own
    assertThat(without.out())
        .contains(entry("group-viable", "warn", "0000:41:00.0",
            "IOMMU group 31 is not viable without the one-pci hook, and it is not installed: libvirt moves only the device a VM is given, "
                + "and 0000:41:00.1 (10de:1aef, on snd_hda_intel) stays on the host",
            "./install.sh --host && systemctl restart libvirtd"));
  }

  @Test
  void theRightHostPasses() {
    HealthyH100Host h = HealthyH100Host.create(tmp.resolve("right"));

    Cli.Result r = doctor(h);

    assertThat(r.status()).isZero();
    assertThat(r.out()).doesNotContain("\"status\":\"warn\"").doesNotContain("\"status\":\"fail\"");
  }
}
