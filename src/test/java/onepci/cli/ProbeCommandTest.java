package onepci.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import onepci.testing.Cli;
import onepci.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's command line: exit statuses and messages a person or OpenNebula sees. */
class ProbeCommandTest {

  @TempDir Path tmp;

  @Test
  void anUnknownOptionIsAUsageError() {
    Cli.Result r = Cli.run("probe", "--fliter", "10de:*");

    assertThat(r.status()).isEqualTo(64);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "one-pci probe: unknown option --fliter (known: --config, --filter, --sysfs-root, --pci-ids, --hwdb)\n"
                + "usage: one-pci probe [--config FILE] [--filter SPEC] [--sysfs-root DIR] [--pci-ids FILE] [--hwdb FILE]\n");
  }

  @Test
  void anOptionWithoutItsValueIsAUsageError() {
    Cli.Result r = Cli.run("probe", "--config");

    assertThat(r.status()).isEqualTo(64);
    assertThat(r.err()).startsWith("one-pci probe: --config needs a value\n");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    Cli.Result r = Cli.run("prbe");

    assertThat(r.status()).isEqualTo(64);
    assertThat(r.err()).startsWith("one-pci: unknown command 'prbe'\nusage: one-pci COMMAND [OPTIONS]\n");
  }

  @Test
  void anInvalidConfigurationFailsTheProbeAndNamesTheFile() throws Exception {
    FakeSysfs.create(tmp.resolve("host")).device("0000:07:00.0").id(0x10de, 0x2330, 0x030200);
    Path conf = tmp.resolve("pci.conf");
    Files.writeString(conf, ":filter: '10de:*,nvidia'\n");

    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--sysfs-root", tmp.resolve("host").toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo("one-pci probe: Invalid configuration " + conf + ": line 1: :filter: filter 'nvidia': at least two fields must be given, as in '10de:*'\n");
  }

  @Test
  void aMissingConfigurationFailsTheProbe() {
    FakeSysfs.create(tmp.resolve("host"));
    Path conf = tmp.resolve("nowhere/pci.conf");

    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--sysfs-root", tmp.resolve("host").toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci probe: Invalid configuration " + conf + ": the file does not exist\n");
  }

  @Test
  void anInvalidFilterOptionIsRefusedLikeTheFile() {
    FakeSysfs.create(tmp.resolve("host"));

    Cli.Result r = Cli.run("probe", "--filter", "10de", "--sysfs-root", tmp.resolve("host").toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci probe: Invalid configuration --filter: :filter: filter '10de': at least two fields must be given, as in '10de:*'\n");
  }

  @Test
  void aPciIdsOptionNamingNoFileFails() {
    FakeSysfs.create(tmp.resolve("host"));
    Path ids = tmp.resolve("missing.ids");

    Cli.Result r = Cli.run("probe", "--filter", "*:*", "--sysfs-root", tmp.resolve("host").toString(), "--pci-ids", ids.toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("one-pci probe: cannot report PCI devices: --pci-ids " + ids + ": no such file or directory; check the path\n");
  }

  @Test
  void aHwdbOptionNamingNoFileFails() {
    FakeSysfs.create(tmp.resolve("host"));
    Path hwdb = tmp.resolve("missing/hwdb.bin");

    Cli.Result r = Cli.run("probe", "--filter", "*:*", "--sysfs-root", tmp.resolve("host").toString(), "--hwdb", hwdb.toString());

    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("one-pci probe: cannot report PCI devices: " + hwdb + ": --hwdb names a file that does not exist or cannot be read\n");
  }

  @Test
  void unknownKeysInTheConfigurationAreWarnedOnStderrOnly() throws Exception {
    FakeSysfs.create(tmp.resolve("host"));
    Path conf = tmp.resolve("pci.conf");
    Files.writeString(conf, ":filter: '10de:*'\n:colour: blue\n");

    Cli.Result r = Cli.run("probe", "--config", conf.toString(), "--sysfs-root", tmp.resolve("host").toString());

    assertThat(r.status()).isZero();
    assertThat(r.err()).startsWith("one-pci probe: warning: " + conf + ": line 2: unknown key ':colour' ignored");
  }

  @Test
  void aReportOverFortyEightKibCompressedIsPrintedWithAWarning() throws Exception {
    FakeSysfs sys = FakeSysfs.create(tmp.resolve("host"));
    StringBuilder ids = new StringBuilder("10de  NVIDIA Corporation\n");
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 3; i++) {
      sys.device("0000:0" + i + ":00.0").id(0x10de, 0x1000 + i, 0x030200);
      StringBuilder name = new StringBuilder();
      for (int k = 0; k < 40_000; k++) {
        name.append((char) ('a' + rnd.nextInt(26)));
      }
      ids.append('\t').append(Integer.toHexString(0x1000 + i)).append("  ").append(name).append('\n');
    }
    Path pciIds = tmp.resolve("pci.ids");
    Files.writeString(pciIds, ids);

    Cli.Result big = Cli.run("probe", "--filter", "10de:*", "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString());
    Cli.Result small = Cli.run("probe", "--filter", "10de:1000", "--sysfs-root", sys.root().toString(), "--pci-ids", pciIds.toString());

    assertThat(big.status()).isZero();
    assertThat(big.out()).startsWith("PCI = [\n").contains(" SHORT_ADDRESS = \"02:00.0\" ,");
    assertThat(big.err())
        .isEqualTo(
            "one-pci probe: warning: the report of 3 devices is over 48 KiB compressed, and OpenNebula sends the output "
                + "of all probes in one message of at most 64 KiB; narrow :filter: (or set :short_address:) in pci.conf "
                + "to the devices VMs are given\n");
    assertThat(small.status()).isZero();
    assertThat(small.err()).isEmpty();
  }
}
