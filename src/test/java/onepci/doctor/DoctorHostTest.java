package onepci.doctor;

import static onepci.testing.HealthyH100Host.GPU;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import onepci.testing.FakeSysfs;
import onepci.testing.HealthyH100Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** doctor's host-level fixes: one per problem, for the host's distribution, with what they need installed. */
class DoctorHostTest {

  static final String GRUB_INTEL =
      "sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&intel_iommu=on /' /etc/default/grub && update-grub && reboot";
  static final String GRUBBY_INTEL = "grubby --update-kernel=ALL --args=intel_iommu=on && reboot";

  @TempDir java.nio.file.Path tmp;
  HealthyH100Host host;
  FakeSysfs sys;

  @BeforeEach
  void setUp() {
    host = HealthyH100Host.create(tmp.resolve("host"));
    sys = host.sys();
  }

  /** The IOMMU off: no groups, the GPU in none. */
  void iommuOff() {
    sys.delete("sys/kernel/iommu_groups");
    sys.delete(sys.root().relativize(host.gpu().dir().resolve("iommu_group")).toString());
  }

  List<Check> run() {
    return Doctor.run(HostState.read(sys.paths(), Optional.empty()));
  }

  Check check(String name, String subject) {
    List<Check> found = run().stream().filter(c -> c.name().equals(name) && c.subject().equals(subject)).toList();
    assertThat(found).as("checks named %s about %s", name, subject).hasSize(1);
    return found.get(0);
  }

  @Nested
  class OneFixPerProblem {

    @Test
    void anIommuLeftOffByTheCommandLineHasOneFixForIommuKernelCmdlineAndTheDevice() {
      iommuOff();
      sys.write("proc/cmdline", "ro quiet\n");

      assertThat(check("iommu", "host").fix()).isEqualTo(GRUB_INTEL);
      assertThat(check("kernel-cmdline", "host").fix()).isEqualTo(GRUB_INTEL);
      assertThat(check("passable", GPU).fix()).isEqualTo(GRUB_INTEL);
    }

    @Test
    void anIommuTurnedOffOnTheCommandLineGetsTheReplacementFromBothChecks() {
      sys.delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro intel_iommu=off iommu=pt\n");
      String replace = "sed -i '/^GRUB_CMDLINE_LINUX/s/intel_iommu=off/intel_iommu=on/' /etc/default/grub && update-grub && reboot";

      assertThat(check("iommu", "host").fix()).isEqualTo(replace);
      assertThat(check("kernel-cmdline", "host").fix()).isEqualTo(replace);
    }

    @Test
    void anIommuOffDespiteTheParameterIsTheFirmwaresAndNotAGrubEdit() {
      sys.delete("sys/kernel/iommu_groups");

      Check iommu = check("iommu", "host");
      assertThat(iommu.status()).isEqualTo(Status.FAIL);
      assertThat(iommu.fix()).isEqualTo("enable Intel VT-d (also called IOMMU) in the firmware setup (BIOS/UEFI), then boot again");
      assertThat(check("kernel-cmdline", "host").status()).isEqualTo(Status.PASS);
    }
  }

  @Nested
  class ForTheDistribution {

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "ID=debian                                        | DEBIAN",
          "ID=ubuntu\\nID_LIKE=debian                        | DEBIAN",
          "ID=linuxmint\\nID_LIKE=\"ubuntu debian\"          | DEBIAN",
          "ID=\"almalinux\"\\nID_LIKE=\"rhel centos fedora\" | RHEL",
          "ID=\"rocky\"\\nID_LIKE=\"rhel centos fedora\"     | RHEL",
          "ID=\"rhel\"\\nID_LIKE=\"fedora\"                  | RHEL",
          "ID=fedora                                        | RHEL",
          "ID=\"centos\"\\nID_LIKE=\"rhel fedora\"           | RHEL",
          "ID=\"ol\"\\nID_LIKE=\"fedora\"                    | RHEL",
          "ID=arch                                          | UNKNOWN",
          "NAME=nothing                                     | UNKNOWN",
        })
    void theFamilyComesFromIdThenIdLike(String osRelease, Distro family) {
      assertThat(Distro.fromOsRelease(osRelease.replace("\\n", "\n"))).isEqualTo(family);
    }

    @Test
    void onTheRhelFamilyKernelParametersGoThroughGrubby() {
      sys.write("etc/os-release", "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\n");
      sys.write("proc/cmdline", "ro intel_iommu=on\n");

      assertThat(check("iommu-pt", "host").fix()).isEqualTo("grubby --update-kernel=ALL --args=iommu=pt && reboot");
    }

    @Test
    void onTheRhelFamilyAnIommuTurnedOffIsReplacedThroughGrubby() {
      sys.write("etc/os-release", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
      sys.delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro intel_iommu=off iommu=pt\n");

      assertThat(check("kernel-cmdline", "host").fix())
          .isEqualTo("grubby --update-kernel=ALL --remove-args=intel_iommu=off --args=intel_iommu=on && reboot");
    }

    @Test
    void withOsReleaseOnlyInUsrLibTheFamilyIsStillKnown() {
      sys.delete("etc/os-release").write("usr/lib/os-release", "ID=ubuntu\nID_LIKE=debian\n");
      sys.delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro\n");

      assertThat(check("iommu", "host").fix()).isEqualTo(GRUB_INTEL);
    }

    @Test
    void anUnknownDistributionIsToldBoth() {
      sys.delete("etc/os-release");
      sys.delete("sys/kernel/iommu_groups").write("proc/cmdline", "ro\n");

      assertThat(check("iommu", "host").fix())
          .isEqualTo("on Debian or Ubuntu: " + GRUB_INTEL + "; on RHEL, AlmaLinux, Rocky, Oracle Linux or Fedora: " + GRUBBY_INTEL);
    }
  }

  @Nested
  class Driverctl {

    @Test
    void aFixThatUsesAMissingDriverctlInstallsItFirst() {
      sys.delete("usr/sbin/driverctl");
      host.gpu().driver("nouveau");

      assertThat(check("driver", GPU).fix()).isEqualTo("apt-get install -y driverctl && driverctl set-override " + GPU + " vfio-pci");
      assertThat(check("nvidia-host-driver", GPU).fix()).isEqualTo("apt-get install -y driverctl && driverctl set-override " + GPU + " vfio-pci");
    }

    @Test
    void onTheRhelFamilyItIsInstalledWithDnf() {
      sys.delete("usr/sbin/driverctl").write("etc/os-release", "ID=\"rhel\"\nID_LIKE=\"fedora\"\n");
      host.gpu().driver("nouveau");

      assertThat(check("driver", GPU).fix()).isEqualTo("dnf install -y driverctl && driverctl set-override " + GPU + " vfio-pci");
    }

    @Test
    void onAnUnknownDistributionBothWaysAreNamed() {
      sys.delete("usr/sbin/driverctl").delete("etc/os-release");
      host.gpu().driver("nouveau");

      assertThat(check("driver", GPU).fix())
          .isEqualTo("install driverctl (apt-get install -y driverctl on Debian or Ubuntu, dnf install -y driverctl on the RHEL family), then: "
              + "driverctl set-override " + GPU + " vfio-pci");
    }

    @Test
    void aDriverctlInUsrBinIsFound() {
      sys.delete("usr/sbin/driverctl").file("usr/bin/driverctl", "#!/bin/sh\n", "rwxr-xr-x");
      host.gpu().driver("nouveau");

      assertThat(check("driver", GPU).fix()).isEqualTo("driverctl set-override " + GPU + " vfio-pci");
    }

    @Test
    void aDriverctlThatIsNotExecutableIsNotInstalled() {
      sys.mode("usr/sbin/driverctl", "rw-r--r--");
      host.gpu().driver("nouveau");

      assertThat(check("driver", GPU).fix()).startsWith("apt-get install -y driverctl && ");
    }
  }

  @Nested
  class VfioModule {

    @Test
    void anUnloadedModuleOnlyWarnsWhenTheHookLoadsIt() {
      sys.delete("sys/module/vfio_pci");

      Check c = check("vfio-module", "host");
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.message())
          .isEqualTo("vfio-pci is not loaded (no " + sys.root().resolve("sys/module/vfio_pci") + "); the libvirt hook "
              + sys.root().resolve("etc/libvirt/hooks/qemu.d/one-pci") + " loads it when a VM with a PCI device starts");
      assertThat(c.fix()).isEqualTo("modprobe vfio-pci");
    }

    @Test
    void aHookThatIsNotExecutableLoadsNothing() {
      sys.delete("sys/module/vfio_pci").mode("etc/libvirt/hooks/qemu.d/one-pci", "rw-r--r--");

      assertThat(check("vfio-module", "host").status()).isEqualTo(Status.FAIL);
    }
  }
}
