package onepci.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import onepci.testing.FakeSysfs;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the probe's JVM loads, as OpenNebula runs it every cycle on every host: the jar in a
 * fresh JVM, every kind of device the report has (names from pci.ids and from hwdb.bin, an
 * interface name, a PF and a VF, vGPU profiles), classes listed by {@code -Xlog:class+load}.
 *
 * <p>Not a timing test: it holds the probe to the start-up rules that the bench measured
 * (docs/DEVELOPING.md, Probe cost). The first lambda, method reference or record
 * {@code equals}/{@code hashCode} of a run bootstraps {@code java.lang.invoke}, about 10 ms of
 * the probe's start-up; making the other commands cost it their classes and lambdas.
 *
 * <p>The probe's readiness ({@code PCI_PASSTHROUGH}) is doctor's judgment by design: it runs
 * doctor's checks and the vfio planner, so their classes load, and they too must not use a
 * lambda, method reference or stream. With {@code :passthrough_readiness: false} no doctor or
 * vfio class loads at all: the off switch saves that whole cost.
 */
class ProbeStartupIT {

  static final Path JAR = Path.of("target/one-pci.jar").toAbsolutePath();

  @TempDir Path tmp;

  @Test
  void theProbeLoadsNoLambdaOfItsOwnNoRecordMethodsAndNoOtherCommand() throws Exception {
    Run run = probe();
    assertThat(run.out).contains("PCI_PASSTHROUGH = \"").doesNotContain("PCI_PASSTHROUGH = \"UNKNOWN\"");
    assertThat(run.loaded).contains("onepci.doctor.Readiness", "onepci.vfio.Planner", "onepci.doctor.DeviceChecks");
    assertThat(run.loaded).filteredOn(c -> c.startsWith("onepci.") && c.contains("$$Lambda")).isEmpty();
    assertThat(run.loaded).doesNotContain("java.lang.runtime.ObjectMethods");
    assertThat(run.loaded).filteredOn(
        c -> c.startsWith("onepci.template.")
            || c.equals("onepci.cli.VfioCommand") || c.equals("onepci.cli.DoctorCommand") || c.equals("onepci.cli.TemplateCommand"))
        .isEmpty();
  }

  @Test
  void withReadinessOffTheProbeLoadsNoDoctorAndNoVfioClass() throws Exception {
    Path conf = tmp.resolve("pci.conf");
    Files.writeString(conf, ":filter: '*:*'\n:passthrough_readiness: false\n");
    Run run = probe("--config", conf.toString());
    assertThat(run.out).doesNotContain("PCI_PASSTHROUGH");
    assertThat(run.loaded).filteredOn(c -> c.startsWith("onepci.") && c.contains("$$Lambda")).isEmpty();
    assertThat(run.loaded).doesNotContain("java.lang.runtime.ObjectMethods");
    assertThat(run.loaded).filteredOn(
        c -> c.startsWith("onepci.vfio.") || c.startsWith("onepci.doctor.") || c.startsWith("onepci.template.")
            || c.equals("onepci.cli.VfioCommand") || c.equals("onepci.cli.DoctorCommand") || c.equals("onepci.cli.TemplateCommand"))
        .isEmpty();
  }

  private record Run(String out, List<String> loaded) {}

  /** The probe of every kind of device, in a fresh JVM that logs the classes it loads. */
  private Run probe(String... extra) throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp.resolve("root"));
    FakeSysfs.Device pf = sys.device("0000:3b:00.0").id(0x8086, 0x1572, 0x020000).numa(0).localCpus("0-7")
        .pcieLink("8.0 GT/s PCIe", 8).iommuGroup(10).driver("i40e").net("ens1f0", "p0").net("ens1f0r0", "pf0vf0");
    pf.sriovPf(8, 0);
    pf.virtfn(0, sys.device("0000:3b:02.0").id(0x8086, 0x154c, 0x020000).iommuGroup(11));
    sys.device("0000:01:00.0").id(0x10de, 0x2330, 0x030200).numa(0).iommuGroup(1).subsystem(0x10de, 0x16c1);
    sys.device("0000:02:00.0").id(0x10de, 0x2335, 0x030200).numa(1).iommuGroup(2);
    sys.udevRename("0000:3b:00.0", "ens1f0");
    Path pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, ProbeNamesTest.PCI_IDS + "8086  Intel Corporation\n\t1572  Ethernet Controller X710\n");
    Path hwdb = TestHwdb.compile(tmp.resolve("hwdb"), Map.of("50-test.hwdb", ProbeNamesTest.HWDB));
    Path log = tmp.resolve("classes.txt");

    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto",
        "-Xlog:class+load:file=" + log, "-jar", JAR.toString(),
        "probe", "--filter", "*:*", "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString(),
        "--hwdb", hwdb.toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    byte[] err = p.getErrorStream().readAllBytes();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(new String(err, StandardCharsets.UTF_8)).isZero();
    // the run went through every part: pci.ids and hwdb names, the interface name, PF and VF
    assertThat(out).contains("DEVICE_NAME = \"NVIDIA Corporation GH100 [H100 SXM5 80GB]\"")
        .contains("DEVICE_NAME = \"NVIDIA Corporation GH100 [H200 SXM 141GB]\"")
        .contains("IFNAME = \"ens1f0\"")
        .contains("ADDRESS = \"0000:3b:02:0\"");

    List<String> loaded = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      int at = line.indexOf("] ");
      int end = line.indexOf(' ', at + 2);
      if (at >= 0 && end > at) {
        loaded.add(line.substring(at + 2, end));
      }
    }
    assertThat(loaded).contains("onepci.cli.ProbeCommand", "onepci.hwdb.HwdbFile", "onepci.probe.IfnameResolver");
    return new Run(out, loaded);
  }
}
