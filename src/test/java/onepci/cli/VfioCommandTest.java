package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import onepci.testing.Cli;
import onepci.vfio.SimulatedKernel;
import onepci.vfio.TestHost;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code one-pci vfio} on the test host: options, domain XML, dry runs, status. */
class VfioCommandTest {

  @TempDir Path tmp;
  TestHost host;
  SimulatedKernel kernel;
  String root;

  static final String XML =
      "<domain type='kvm'>\n"
          + "  <name>one-7</name>\n"
          + "  <devices>\n"
          + "    <disk type='file'><source file='/var/lib/one/datastores/0/7/disk.0'/></disk>\n"
          + "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
          + "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
          + "    </hostdev>\n"
          + "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
          + "      <source><address domain='0x0000' bus='0x07' slot='0x00' function='0x0'/></source>\n"
          + "    </hostdev>\n"
          + "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
          + "      <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>\n"
          + "    </hostdev>\n"
          + "  </devices>\n"
          + "</domain>\n";

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp.resolve("host"));
    kernel = host.simulate();
    root = host.paths.root().toString();
  }

  Cli.Result run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    VfioCommand c = new VfioCommand((limit, paths) -> kernel.kernel(limit), Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));
    Io io = new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    int status;
    try {
      status = c.run(List.of(args), io);
    } catch (UsageException e) {
      status = Main.EXIT_USAGE;
      io.err().println(e.getMessage());
    }
    return new Cli.Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aDryRunPrintsTheExactWritesAndChangesNothing() throws Exception {
    TreeMap<String, String> before = host.snapshot();

    Cli.Result r = run("", "prepare", "--dry-run", "--domain", "one-7", "0000:01:00.0", "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo(
        "echo vfio-pci > " + root + "/sys/bus/pci/devices/0000:01:00.0/driver_override\n"
            + "echo 0000:01:00.0 > " + root + "/sys/bus/pci/drivers/nvidia/unbind\n"
            + "echo 0000:01:00.0 > " + root + "/sys/bus/pci/drivers_probe\n"
            + "echo vfio-pci > " + root + "/sys/bus/pci/devices/0000:01:00.1/driver_override\n"
            + "echo 0000:01:00.1 > " + root + "/sys/bus/pci/drivers/snd_hda_intel/unbind\n"
            + "echo 0000:01:00.1 > " + root + "/sys/bus/pci/drivers_probe\n");
    assertThat(r.err()).isEmpty();
    assertThat(kernel.writes()).isEmpty();
    assertThat(host.snapshot()).isEqualTo(before);
    assertThat(host.paths.vfioState()).doesNotExist();
  }

  @Test
  void aDryRunOfReleasePrintsTheRestoreWrites() throws Exception {
    assertThat(run("", "prepare", "--domain", "one-7", "0000:07:00.0", "--sysfs-root", root).status()).isZero();
    TreeMap<String, String> before = host.snapshot();

    Cli.Result r = run("", "release", "--dry-run", "--domain", "one-7", "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo(
        "echo > " + root + "/sys/bus/pci/devices/0000:07:00.0/driver_override\n"
            + "echo 0000:07:00.0 > " + root + "/sys/bus/pci/drivers/vfio-pci/unbind\n"
            + "echo 0000:07:00.0 > " + root + "/sys/bus/pci/drivers_probe\n");
    assertThat(host.snapshot()).isEqualTo(before);
  }

  @Test
  void aDryRunThatWouldBeRefusedSaysSo() throws Exception {
    Cli.Result r = run("", "prepare", "--dry-run", "0000:03:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("one-pci vfio: manual: refused 0000:03:00.0: holds /dev/nvme0n1p1, mounted on /;");
  }

  @Test
  void theDomainXmlOnStdinNamesTheManagedDevicesOnly() throws Exception {
    Cli.Result r = run(XML, "prepare", "--domain", "one-7", "--xml", "-", "--sysfs-root", root);

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).startsWith("one-pci vfio: one-7: 0000:07:00.0 is managed='no': left to whoever manages it\n");
    assertThat(host.driver("0000:01:00.0")).contains("vfio-pci");
    assertThat(host.driver("0000:01:00.1")).contains("vfio-pci");
    assertThat(host.driver("0000:07:00.0")).contains("nvidia");

    // the XML at release no longer has the device (say it was edited): the journal still says what to give back
    Path xml = tmp.resolve("one-7.xml");
    Files.writeString(xml, "<domain><name>one-7</name><devices/></domain>");
    Cli.Result rel = run("", "release", "--domain", "one-7", "--xml", xml.toString(), "--sysfs-root", root);
    assertThat(rel.status()).as(rel.err()).isZero();
    assertThat(host.driver("0000:01:00.0")).contains("nvidia");
    assertThat(host.journal("one-7")).doesNotExist();
  }

  @Test
  void releaseOfNamedAddressesGivesBackOnlyTheirGroups() throws Exception {
    assertThat(run("", "prepare", "--domain", "one-7", "0000:01:00.0", "0000:07:00.0", "--sysfs-root", root).status()).isZero();

    Cli.Result r = run("", "release", "--domain", "one-7", "0000:07:00.1", "--sysfs-root", root);

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(host.driver("0000:07:00.0")).contains("nvidia");
    assertThat(host.driver("0000:01:00.0")).contains("vfio-pci");
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly(
        "0000:01:00.0\t12\tbound\tnvidia\t-", "0000:01:00.1\t12\tbound\tsnd_hda_intel\t-");
  }

  @Test
  void aBrokenDomainXmlIsAFailureNamingItsSource() {
    Cli.Result r = run("<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'><source/></hostdev></devices></domain>",
        "prepare", "--domain", "one-7", "--xml", "-", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci vfio: domain XML on stdin: a <hostdev type='pci'> has no <source><address .../>\n");
    assertThat(kernel.writes()).isEmpty();
  }

  @Test
  void statusListsEveryDeviceOnVfioAndWhoHoldsIt() throws Exception {
    assertThat(run("", "prepare", "--domain", "one-7", "0000:07:00.0", "--sysfs-root", root).status()).isZero();

    Cli.Result r = run("", "status", "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo(
        "ADDRESS        GROUP  DRIVER           DOMAIN           RELEASE GIVES BACK TO\n"
            + "0000:04:00.0   15     vfio-pci         -                - (not bound by one-pci)\n"
            + "0000:07:00.0   18     vfio-pci         one-7            nvidia\n"
            + "0000:07:00.1   18     none             one-7            - (stays as it is)\n");
  }

  @Test
  void statusOnAHostWithoutPassthrough() throws Exception {
    Files.delete(host.paths.pciDriver("vfio-pci").resolve("0000:04:00.0"));
    Files.delete(host.paths.pciDevice(onepci.sysfs.PciAddress.parse("0000:04:00.0")).resolve("driver"));

    Cli.Result r = run("", "status", "--sysfs-root", root);

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo("no device is on vfio-pci or held by a domain\n");
  }

  @Test
  void onATreeThatIsNotTheRealRootNothingOfThisMachineIsLoadedOrSignalled() throws Exception {
    Files.delete(host.paths.pciDriver("vfio-pci").resolve("0000:04:00.0"));
    Files.delete(host.paths.pciDevice(onepci.sysfs.PciAddress.parse("0000:04:00.0")).resolve("driver"));
    Files.delete(host.paths.pciDriver("vfio-pci"));

    Cli.Result r = Cli.run("vfio", "prepare", "--domain", "one-7", "0000:07:00.0", "--sysfs-root", root);

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("one-pci vfio: one-7: loading vfio-pci (modprobe vfio-pci)\n"
        + "one-pci vfio: one-7: failed: " + root + "/sys/bus/pci/drivers/vfio-pci is missing and modprobe runs only on the real root (/);"
        + " fix: make the folder in the tree, or run without --sysfs-root\n");
    assertThat(host.journal("one-7")).doesNotExist();
    assertThat(host.driver("0000:07:00.0")).contains("nvidia");
  }

  @Test
  void wrongCommandLinesAreUsageErrors() {
    assertThat(Cli.run("vfio").status()).isEqualTo(64);
    assertThat(Cli.run("vfio").err()).startsWith("one-pci vfio: say prepare, release or status\n");
    assertThat(Cli.run("vfio", "bind").err()).startsWith("one-pci vfio: unknown action 'bind' (known: prepare, release, status)\n");
    assertThat(Cli.run("vfio", "prepare", "--sysfs-root", root).err())
        .startsWith("one-pci vfio prepare: name the devices (ADDRESS... or --xml FILE|-)\n");
    assertThat(Cli.run("vfio", "prepare", "01:00").err())
        .startsWith("one-pci vfio: '01:00' is not a PCI address (expected DDDD:BB:SS.F, such as 0000:e1:00.0)\n");
    assertThat(Cli.run("vfio", "status", "--dry-run").err())
        .startsWith("one-pci vfio status: unknown option --dry-run (known: --sysfs-root)\n");
    assertThat(Cli.run("vfio", "release", "--write-timeout", "0", "--domain", "x").err())
        .startsWith("one-pci vfio: --write-timeout wants a positive number of seconds, not '0'\n");
    assertThat(Cli.run("vfio", "prepare", "--lock-timeout", "soon", "0000:01:00.0").status()).isEqualTo(64);
    assertThat(Cli.run("vfio", "prepare", "--lock-timeout", "soon", "0000:01:00.0").err())
        .startsWith("one-pci vfio: --lock-timeout wants a positive number of seconds, not 'soon'\n");
  }

  @Test
  void lockTimeoutBoundsTheWaitForAnotherCall() throws Exception {
    Path state = host.paths.vfioState();
    try (onepci.vfio.StateLock held = onepci.vfio.StateLock.acquire(state, "one-17", java.time.Duration.ofSeconds(5))) {
      Cli.Result r = run("", "prepare", "--domain", "one-7", "--lock-timeout", "0.2", "0000:01:00.0", "--sysfs-root", root);

      assertThat(r.status()).isEqualTo(1);
      assertThat(r.err()).startsWith("one-pci vfio: one-7: another one-pci call (pid " + ProcessHandle.current().pid()
          + ", domain one-17) has held " + state.resolve("lock") + " for more than 0.2 s; nothing was changed; fix: ");
      assertThat(r.err().lines()).hasSize(1);
    }
    assertThat(kernel.writes()).isEmpty();
  }
}
