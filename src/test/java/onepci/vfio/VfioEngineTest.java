package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare and release on the test host, with the simulated kernel. */
class VfioEngineTest {

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    kernel = host.simulate();
  }

  @Test
  void prepareBindsTheDeviceAndItsGroupSiblingButNotTheRootPort() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();

    assertThat(kernel.writes()).containsExactly(
        "sys/bus/pci/devices/0000:01:00.0/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/nvidia/unbind <- 0000:01:00.0",
        "sys/bus/pci/drivers_probe <- 0000:01:00.0",
        "sys/bus/pci/devices/0000:01:00.1/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/snd_hda_intel/unbind <- 0000:01:00.1",
        "sys/bus/pci/drivers_probe <- 0000:01:00.1");
    assertThat(host.driver("0000:01:00.0")).contains("vfio-pci");
    assertThat(host.driver("0000:01:00.1")).contains("vfio-pci");
    assertThat(host.driver("0000:00:01.0")).contains("pcieport");
    assertThat(host.read(host.journal("one-7"))).isEqualTo(
        "# one-pci vfio journal: devices this domain holds and what each had before\n"
            + "domain\tone-7\n"
            + "0000:01:00.0\t12\tbound\tnvidia\t-\n"
            + "0000:01:00.1\t12\tbound\tsnd_hda_intel\t-\n");
    Path node = host.paths.devVfioGroup(12);
    assertThat(Files.getAttribute(node, "unix:gid")).isEqualTo(host.kvmGid);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(node))).isEqualTo("rw-rw-rw-");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(host.paths.vfioState()))).isEqualTo("rwx------");
  }

  @Test
  void everyActionIsOneLineInTheLogAndOnStderr() throws Exception {
    host.prepare("one-7", "0000:01:00.0");

    String log = host.read(host.paths.vfioState().resolve("vfio.log"));
    String root = host.paths.root().toString();
    assertThat(log.lines()).containsExactly(
        "2026-12-01T10:00:00Z one-7 0000:01:00.0: write 'vfio-pci' to " + root + "/sys/bus/pci/devices/0000:01:00.0/driver_override",
        "2026-12-01T10:00:00Z one-7 0000:01:00.0: write '0000:01:00.0' to " + root + "/sys/bus/pci/drivers/nvidia/unbind",
        "2026-12-01T10:00:00Z one-7 0000:01:00.0: write '0000:01:00.0' to " + root + "/sys/bus/pci/drivers_probe",
        "2026-12-01T10:00:00Z one-7 0000:01:00.0: on vfio-pci (was nvidia)",
        "2026-12-01T10:00:00Z one-7 0000:01:00.1: write 'vfio-pci' to " + root + "/sys/bus/pci/devices/0000:01:00.1/driver_override",
        "2026-12-01T10:00:00Z one-7 0000:01:00.1: write '0000:01:00.1' to " + root + "/sys/bus/pci/drivers/snd_hda_intel/unbind",
        "2026-12-01T10:00:00Z one-7 0000:01:00.1: write '0000:01:00.1' to " + root + "/sys/bus/pci/drivers_probe",
        "2026-12-01T10:00:00Z one-7 0000:01:00.1: on vfio-pci (was snd_hda_intel)",
        "2026-12-01T10:00:00Z one-7 " + root + "/dev/vfio/12: group kvm",
        "2026-12-01T10:00:00Z one-7 " + root + "/dev/vfio/12: mode 0666",
        "2026-12-01T10:00:00Z one-7 prepared [0000:01:00.0] with IOMMU group(s) [12]");
    assertThat(host.errLines()).containsExactlyElementsOf(
        log.lines().map(l -> "one-pci vfio: one-7: " + l.substring("2026-12-01T10:00:00Z one-7 ".length())).toList());
  }

  @Test
  void theJournalNamesEachDeviceBeforeItsFirstWrite() throws Exception {
    java.util.List<String> seen = new java.util.ArrayList<>();
    Kernel sim = kernel.kernel(java.time.Duration.ofSeconds(10));
    Kernel spying = new Kernel((file, content) -> {
      seen.add(Files.exists(host.journal("one-7")) ? host.read(host.journal("one-7")).lines().skip(2).map(l -> l.substring(0, 12)).toList().toString() : "[]");
      sim.writes().write(file, content);
    }, sim.modules(), sim.signals());
    ActionLog log = new ActionLog(VfioEngine.logFile(host.paths), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), java.time.Clock.systemUTC());

    assertThat(new VfioEngine(host.paths, spying, log).prepare("one-7", java.util.List.of(onepci.sysfs.PciAddress.parse("0000:01:00.0")), Optional.empty())).isZero();

    assertThat(seen).containsExactly(
        "[0000:01:00.0]", "[0000:01:00.0]", "[0000:01:00.0]",
        "[0000:01:00.0, 0000:01:00.1]", "[0000:01:00.0, 0000:01:00.1]", "[0000:01:00.0, 0000:01:00.1]");
  }

  @Test
  void releaseGivesEveryDeviceBackInReverseAndDropsTheJournal() throws Exception {
    host.prepare("one-7", "0000:01:00.0");
    int before = kernel.writes().size();

    assertThat(host.release("one-7")).isZero();

    assertThat(kernel.writes().subList(before, kernel.writes().size())).containsExactly(
        "sys/bus/pci/devices/0000:01:00.1/driver_override <- ",
        "sys/bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.1",
        "sys/bus/pci/drivers_probe <- 0000:01:00.1",
        "sys/bus/pci/devices/0000:01:00.0/driver_override <- ",
        "sys/bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0",
        "sys/bus/pci/drivers_probe <- 0000:01:00.0");
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.driver("0000:01:00.1")).contains("snd_hda_intel");
    assertThat(host.override("0000:01:00.0")).isEqualTo("(null)");
    assertThat(host.journal("one-7")).doesNotExist();
    assertThat(host.paths.devVfioGroup(12)).doesNotExist();
    assertThat(host.errLines()).endsWith(
        "one-pci vfio: one-7: 0000:01:00.0: back on nvidia", "one-pci vfio: one-7: released");
  }

  @Test
  void prepareTwiceAndReleaseTwiceAreHarmless() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();
    String journal = host.read(host.journal("one-7"));
    int writes = kernel.writes().size();

    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();
    assertThat(kernel.writes()).hasSize(writes);
    assertThat(host.read(host.journal("one-7"))).isEqualTo(journal);

    assertThat(host.release("one-7")).isZero();
    writes = kernel.writes().size();
    assertThat(host.release("one-7")).isZero();
    assertThat(kernel.writes()).hasSize(writes);
    assertThat(host.errLines()).last().isEqualTo("one-pci vfio: one-7: holds no devices; nothing to release");
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
  }

  @Test
  void aFailureMidWayUndoesThisCallsChangesInReverse() throws Exception {
    kernel.failOn(SimulatedKernel.Step.PROBE, "0000:01:00.1", "No such device");

    assertThat(host.prepare("one-7", "0000:01:00.0")).isEqualTo(1);

    assertThat(kernel.writes()).containsExactly(
        "sys/bus/pci/devices/0000:01:00.0/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/nvidia/unbind <- 0000:01:00.0",
        "sys/bus/pci/drivers_probe <- 0000:01:00.0",
        "sys/bus/pci/devices/0000:01:00.1/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/snd_hda_intel/unbind <- 0000:01:00.1",
        "sys/bus/pci/drivers_probe <- 0000:01:00.1",
        // rollback: the audio function first (it never reached a driver), then the GPU
        "sys/bus/pci/devices/0000:01:00.1/driver_override <- ",
        "sys/bus/pci/drivers_probe <- 0000:01:00.1",
        "sys/bus/pci/devices/0000:01:00.0/driver_override <- ",
        "sys/bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0",
        "sys/bus/pci/drivers_probe <- 0000:01:00.0");
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.driver("0000:01:00.1")).contains("snd_hda_intel");
    assertThat(host.journal("one-7")).doesNotExist();
    assertThat(host.errLines()).contains(
        "one-pci vfio: one-7: failed: 0000:01:00.1: " + host.paths.pciDriversProbe() + ": No such device; fix: see 'dmesg' for the kernel's reason",
        "one-pci vfio: one-7: rolling back 0000:01:00.1",
        "one-pci vfio: one-7: rolling back 0000:01:00.0");
  }

  @Test
  void aDriverThatDoesNotTakeTheDeviceIsAFailureAndRolledBack() throws Exception {
    Files.delete(host.paths.pciDriver("vfio-pci").resolve("0000:04:00.0"));
    Files.delete(host.paths.pciDevice(onepci.sysfs.PciAddress.parse("0000:04:00.0")).resolve("driver"));
    kernel = host.simulate();
    Files.delete(host.paths.pciDriver("vfio-pci"));
    // modprobe "succeeds" but the module makes no driver folder: the engine must notice
    Kernel noDriver = new Kernel(kernel.kernel(java.time.Duration.ofSeconds(5)).writes(), m -> {}, p -> {});
    ActionLog log = new ActionLog(VfioEngine.logFile(host.paths), new java.io.PrintStream(host.err, true), java.time.Clock.systemUTC());

    int status = new VfioEngine(host.paths, noDriver, log).prepare("one-7", java.util.List.of(onepci.sysfs.PciAddress.parse("0000:07:00.0")), Optional.empty());

    assertThat(status).isEqualTo(1);
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.errLines()).contains("one-pci vfio: one-7: failed: " + host.paths.pciDriver("vfio-pci")
        + " is missing after modprobe vfio-pci; fix: check that the kernel has vfio-pci ('modinfo vfio-pci') and 'dmesg'");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void vfioPciIsLoadedWhenMissing() throws Exception {
    Files.delete(host.paths.pciDriver("vfio-pci").resolve("0000:04:00.0"));
    Files.delete(host.paths.pciDevice(onepci.sysfs.PciAddress.parse("0000:04:00.0")).resolve("driver"));
    Files.delete(host.paths.pciDriver("vfio-pci"));
    kernel = host.simulate();

    assertThat(host.prepare("one-7", "0000:07:00.0")).isZero();

    assertThat(kernel.writes()).first().isEqualTo("modprobe vfio-pci");
    assertThat(host.driver("0000:07:00.0")).contains("vfio-pci");
  }

  @Test
  void anUnboundSiblingStaysUnboundAndIsHeld() throws Exception {
    assertThat(host.prepare("one-7", "0000:07:00.0")).isZero();

    assertThat(host.driver("0000:07:00.1")).isEmpty();
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly(
        "0000:07:00.0\t18\tbound\tnvidia\t-", "0000:07:00.1\t18\tkept\t-\t-");

    assertThat(host.release("one-7")).isZero();
    assertThat(host.driver("0000:07:00.0")).contains("nvidia");
    assertThat(host.driver("0000:07:00.1")).isEmpty();
  }

  @Test
  void aSiblingLeftUnboundByACutOffPrepareIsBoundByTheNextPrepare() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();
    // what a hook killed between the sibling's unbind and its probe leaves: journaled as bound
    // from snd_hda_intel, on no driver, driver_override still vfio-pci
    kernel.write(host.paths.pciDriver("vfio-pci").resolve("unbind"), "0000:01:00.1");
    assertThat(host.driver("0000:01:00.1")).isEmpty();
    int before = kernel.writes().size();

    assertThat(host.prepare("one-7", "0000:01:00.0")).isZero();

    assertThat(kernel.writes().subList(before, kernel.writes().size())).containsExactly(
        "sys/bus/pci/devices/0000:01:00.1/driver_override <- vfio-pci",
        "sys/bus/pci/drivers_probe <- 0000:01:00.1");
    assertThat(host.driver("0000:01:00.1")).contains("vfio-pci");
    assertThat(host.release("one-7")).isZero();
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.driver("0000:01:00.1")).contains("snd_hda_intel");
  }

  @Test
  void aRequestedUnboundDeviceIsBoundWithoutAnUnbindAndLeftUnboundAfter() throws Exception {
    assertThat(host.prepare("one-7", "0000:07:00.1")).isZero();

    assertThat(kernel.writes()).containsExactly(
        "sys/bus/pci/devices/0000:07:00.0/driver_override <- vfio-pci",
        "sys/bus/pci/drivers/nvidia/unbind <- 0000:07:00.0",
        "sys/bus/pci/drivers_probe <- 0000:07:00.0",
        "sys/bus/pci/devices/0000:07:00.1/driver_override <- vfio-pci",
        "sys/bus/pci/drivers_probe <- 0000:07:00.1");
    assertThat(host.release("one-7")).isZero();
    assertThat(kernel.writes().subList(5, kernel.writes().size())).containsExactly(
        "sys/bus/pci/devices/0000:07:00.1/driver_override <- ",
        "sys/bus/pci/drivers/vfio-pci/unbind <- 0000:07:00.1",
        "sys/bus/pci/devices/0000:07:00.0/driver_override <- ",
        "sys/bus/pci/drivers/vfio-pci/unbind <- 0000:07:00.0",
        "sys/bus/pci/drivers_probe <- 0000:07:00.0");
    assertThat(host.driver("0000:07:00.1")).isEmpty();
    assertThat(host.override("0000:07:00.1")).isEqualTo("(null)");
  }

  @Test
  void anAdministratorsBindingSurvivesPrepareAndRelease() throws Exception {
    assertThat(host.prepare("one-7", "0000:04:00.0")).isZero();
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly("0000:04:00.0\t15\tkept\tvfio-pci\tvfio-pci");

    assertThat(host.release("one-7")).isZero();

    assertThat(kernel.writes()).isEmpty();
    assertThat(host.driver("0000:04:00.0")).contains("vfio-pci");
    assertThat(host.override("0000:04:00.0")).isEqualTo("vfio-pci");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void releaseKeepsGoingPastAFailingDeviceAndReportsIt() throws Exception {
    assertThat(host.prepare("one-7", "0000:01:00.0", "0000:07:00.0")).isZero();
    kernel.failOn(SimulatedKernel.Step.UNBIND, "0000:07:00.0", "Device or resource busy");
    kernel.failOn(SimulatedKernel.Step.PROBE, "0000:01:00.1", "No such device");

    assertThat(host.release("one-7")).isEqualTo(1);

    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.driver("0000:01:00.1")).isEmpty();
    assertThat(host.driver("0000:07:00.0")).contains("vfio-pci");
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly(
        "0000:01:00.1\t12\tbound\tsnd_hda_intel\t-", "0000:07:00.0\t18\tbound\tnvidia\t-");
    String root = host.paths.root().toString();
    assertThat(host.errLines()).containsSubsequence(
        "one-pci vfio: one-7: release failed: 0000:07:00.0: " + root + "/sys/bus/pci/drivers/vfio-pci/unbind: Device or resource busy;"
            + " fix: see 'dmesg' for the kernel's reason",
        "one-pci vfio: one-7: release failed: 0000:01:00.1: " + root + "/sys/bus/pci/drivers_probe: No such device;"
            + " fix: see 'dmesg' for the kernel's reason",
        "one-pci vfio: one-7: 2 device(s) not restored; they stay in " + root
            + "/run/one-pci/one-7.journal; once fixed, run: one-pci vfio release --domain one-7");

    // once fixed, release again finishes the job
    assertThat(host.release("one-7")).isZero();
    assertThat(host.driver("0000:01:00.1")).contains("snd_hda_intel");
    assertThat(host.driver("0000:07:00.0")).contains("nvidia");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void aHungWriteIsBoundedAndNamesTheProcessesHoldingTheDevice() throws Exception {
    host.fs.write("proc/driver/nvidia/gpus/0000:01:00.0/information", "Model: NVIDIA H100 80GB HBM3\nDevice Minor: 0\n");
    host.fs.write("proc/4242/comm", "python3\n");
    Files.createDirectories(host.paths.procFds(4242));
    Files.createSymbolicLink(host.paths.procFds(4242).resolve("7"), Path.of("/dev/nvidia0"));
    Files.createSymbolicLink(host.paths.procFds(4242).resolve("8"), Path.of("/dev/nvidiactl"));
    host.fs.write("proc/99/comm", "bash\n");
    Files.createDirectories(host.paths.procFds(99));
    Files.createSymbolicLink(host.paths.procFds(99).resolve("0"), Path.of("/dev/pts/0"));
    kernel.hangOn(SimulatedKernel.Step.UNBIND, "0000:01:00.0");
    int status;
    try {
      status = host.engine(java.time.Duration.ofMillis(300)).prepare(
          "one-7", java.util.List.of(onepci.sysfs.PciAddress.parse("0000:01:00.0")), Optional.empty());
    } finally {
      kernel.releaseHangs();
      kernel.awaitIdle();
    }

    assertThat(status).isEqualTo(1);
    String root = host.paths.root().toString();
    assertThat(host.errLines()).contains(
        "one-pci vfio: one-7: failed: 0000:01:00.0: " + root + "/sys/bus/pci/drivers/nvidia/unbind: write did not return within 300 ms;"
            + " pid 4242 (python3) holds /dev/nvidia0; fix: stop what uses the device, then retry (the write may still complete in the kernel)",
        "one-pci vfio: one-7: 0000:01:00.0 left as it is until the hung write returns; it stays in " + root + "/run/one-pci/one-7.journal",
        "one-pci vfio: one-7: not restored: [0000:01:00.0]; once fixed, run: one-pci vfio release --domain one-7");
    // nothing after the hung write was attempted; the sibling was never touched
    assertThat(kernel.writes()).containsExactly(
        "sys/bus/pci/devices/0000:01:00.0/driver_override <- vfio-pci", "sys/bus/pci/drivers/nvidia/unbind <- 0000:01:00.0");
    assertThat(host.driver("0000:01:00.1")).contains("snd_hda_intel");
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly("0000:01:00.0\t12\tbound\tnvidia\t-");
  }

  @Test
  void aJournalThatCannotBeReadStopsPrepareAndSaysWhatToDo() throws Exception {
    host.fs.write("run/one-pci/one-3.journal", "domain\tone-3\n0000:01:00.0 12 bound\n");

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.prepare("one-7", "0000:07:00.0"))
        .hasMessage(host.paths.vfioState().resolve("one-3.journal")
            + ": not a journal line: '0000:01:00.0 12 bound'; fix: restore the devices by hand and delete the file");
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void theMonitorClientIsSignalledAfterAChangeOnlyWhenThePidIsStillTheClient() throws Exception {
    host.fs.write("var/tmp/one_db/.monitor_client.pid", "777\n");
    host.fs.write("proc/777/cmdline", "ruby\0/var/tmp/one/im/kvm.d/../lib/monitord-client.rb\0");

    host.prepare("one-7", "0000:01:00.0");
    host.prepare("one-8", "0000:04:00.0");
    assertThat(kernel.signalled()).containsExactly(777L);

    host.fs.write("proc/777/cmdline", "sshd\0");
    host.release("one-7");
    assertThat(kernel.signalled()).containsExactly(777L);
  }
}
